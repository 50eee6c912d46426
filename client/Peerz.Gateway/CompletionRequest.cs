namespace Peerz.Gateway;

/// <summary>What both OpenAI endpoints boil down to: a prompt and how to continue it.</summary>
public sealed record CompletionRequest(string Prompt, int MaxTokens, double Temperature, double TopP, int? Seed, IReadOnlyList<string> Stop);

/// <summary>One piece of streamed output; the last one carries the finish reason and usage.</summary>
public sealed record CompletionChunk(string Text, string? FinishReason, CompletionUsage? Usage, CompletionDetails? Details = null);

/// <summary>
/// What the chat page shows beside the text: the route through the swarm (also hop by hop), what was paid, and notices
/// about this request's route (a provider lost and its steps replayed elsewhere).
/// </summary>
public sealed record CompletionDetails(string Route, string? Paid, IReadOnlyList<RouteHopDetail>? Hops = null, IReadOnlyList<string>? Notices = null);

/// <summary>One hop of the route: the provider (last 8 characters of its peer id), its span, and the gateway's last measured round trip to it.</summary>
public sealed record RouteHopDetail(string Peer, int Start, int End, double? LatencyMs);

public sealed record CompletionUsage(int PromptTokens, int CompletionTokens)
{
    public int TotalTokens => PromptTokens + CompletionTokens;
}
