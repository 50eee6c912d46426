namespace Peerz.Settlement.Contributions;

/// <summary>A report that settlement refuses; <paramref name="StatusCode"/> is the HTTP status the server answers with.</summary>
public sealed class IntakeException(int statusCode, string message) : Exception(message)
{
    public int StatusCode { get; } = statusCode;

    public static IntakeException Malformed(string message) => new(400, message);

    public static IntakeException Forbidden(string message) => new(403, message);

    public static IntakeException Conflict(string message) => new(409, message);

    public static IntakeException Unprocessable(string message) => new(422, message);
}
