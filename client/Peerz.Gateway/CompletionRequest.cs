namespace Peerz.Gateway;

/// <summary>What both OpenAI endpoints boil down to: a prompt and how to continue it.</summary>
public sealed record CompletionRequest(string Prompt, int MaxTokens, double Temperature, double TopP, int? Seed, IReadOnlyList<string> Stop);

/// <summary>One piece of streamed output; the last one carries the finish reason and usage.</summary>
public sealed record CompletionChunk(string Text, string? FinishReason, CompletionUsage? Usage, CompletionDetails? Details = null);

/// <summary>What the chat page shows beside the text: the route through the swarm and what was paid.</summary>
public sealed record CompletionDetails(string Route, string? Paid);

public sealed record CompletionUsage(int PromptTokens, int CompletionTokens)
{
    public int TotalTokens => PromptTokens + CompletionTokens;
}
