using Peerz.Protocol.Wire;

namespace Peerz.Client.Remote;

/// <summary>
/// A session's place in a push route as the client names it when opening: the hop to forward outputs to, and the
/// peer allowed to push inputs in. Either may be null.
/// </summary>
public sealed record PushLinks(PushHop? Next, string? Previous);
