namespace Peerz.Gateway;

/// <summary>Generates text for the gateway: tokenizes, runs the model (locally or through the swarm), detokenizes.</summary>
public interface ICompletionEngine
{
    string ModelId { get; }

    /// <summary>Formats chat messages into a prompt (the model's chat template).</summary>
    string FormatChat(IReadOnlyList<ChatMessage> messages);

    IAsyncEnumerable<CompletionChunk> CompleteAsync(CompletionRequest request, CancellationToken cancellationToken);
}

public sealed record ChatMessage(string Role, string Content);
