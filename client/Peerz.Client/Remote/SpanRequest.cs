namespace Peerz.Client.Remote;

/// <summary>Which blocks of which model a request is for: [Start, End).</summary>
public sealed record SpanRequest(string ModelId, int Start, int End);
