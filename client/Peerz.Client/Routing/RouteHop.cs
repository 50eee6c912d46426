using Peerz.Discovery;

namespace Peerz.Client.Routing;

/// <summary>One provider's share of a route: blocks [Start, End) on <see cref="Provider"/>.</summary>
public sealed record RouteHop(ProviderRecord Provider, int Start, int End)
{
    public override string ToString() => $"{Provider.PeerId}[{Start},{End})";
}
