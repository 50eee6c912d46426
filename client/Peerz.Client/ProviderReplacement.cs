using Peerz.Client.Routing;

namespace Peerz.Client;

/// <summary>
/// A provider lost mid-session and replaced: <paramref name="Lost"/> failed, <paramref name="Replacements"/> now serve its
/// blocks, and <paramref name="ReplayedPositions"/> positions of the session's history were replayed on them.
/// </summary>
public sealed record ProviderReplacement(RouteHop Lost, IReadOnlyList<RouteHop> Replacements, int ReplayedPositions);
