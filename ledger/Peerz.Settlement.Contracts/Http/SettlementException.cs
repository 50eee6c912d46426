namespace Peerz.Settlement.Http;

/// <summary>Settlement refused a request (<paramref name="StatusCode"/> is the HTTP status, the message its reason).</summary>
public sealed class SettlementException(int statusCode, string message) : Exception(message)
{
    public int StatusCode { get; } = statusCode;
}
