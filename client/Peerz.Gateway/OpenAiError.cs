using Microsoft.AspNetCore.Http;

namespace Peerz.Gateway;

/// <summary>A request the gateway rejects, reported in OpenAI's error format.</summary>
public sealed class OpenAiError(int status, string message, string? param = null, string type = "invalid_request_error") : Exception(message)
{
    public int Status { get; } = status;

    /// <summary>The <c>error</c> object of OpenAI's format, as an answer's body or a stream's last event.</summary>
    public object Body => new { error = new { message = Message, type, param, code = (string?)null } };

    public IResult ToResult() => Results.Json(Body, statusCode: Status);
}
