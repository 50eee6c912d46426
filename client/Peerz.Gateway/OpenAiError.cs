using Microsoft.AspNetCore.Http;

namespace Peerz.Gateway;

/// <summary>A request the gateway rejects, reported in OpenAI's error format.</summary>
public sealed class OpenAiError(int status, string message, string? param = null, string type = "invalid_request_error") : Exception(message)
{
    public int Status { get; } = status;

    public IResult ToResult() => Results.Json(new { error = new { message = Message, type, param, code = (string?)null } }, statusCode: Status);
}
