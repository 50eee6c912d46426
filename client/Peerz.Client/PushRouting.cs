namespace Peerz.Client;

/// <summary>
/// Server-to-server push on a client's routes (<c>--push</c>): each provider forwards its output straight to the
/// next hop, so a token's critical path is client → A → B → C → client instead of one round trip per hop.
/// </summary>
public sealed record PushRouting
{
    /// <summary>
    /// A hop whose input was reported pushed but that has not answered this long after the previous hop's output
    /// reached the client gets that output relayed by the client (a push lost on the way costs this, not a reroute).
    /// </summary>
    public TimeSpan RelayAfter { get; init; } = TimeSpan.FromSeconds(2);
}
