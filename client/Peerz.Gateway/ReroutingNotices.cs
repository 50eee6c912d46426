using System.Collections.Concurrent;
using Peerz.Client;
using Peerz.Client.Routing;
using Peerz.Model.Generation;

namespace Peerz.Gateway;

/// <summary>
/// One request's view of the pipeline: the sessions it opens report lost providers as readable notices, which the
/// request's chunks carry (the chat page shows them), so a reply that paused while its route was repaired says why.
/// </summary>
public sealed class ReroutingNotices(IBlockPipeline inner) : IBlockPipeline
{
    private readonly ConcurrentQueue<string> _notices = new();

    /// <summary>Every notice of this request so far, oldest first.</summary>
    public IReadOnlyList<string> Notices => [.. _notices];

    public async ValueTask<IBlockSession> OpenSessionAsync(int batchSize, int maxLength, CancellationToken cancellationToken)
    {
        var session = await inner.OpenSessionAsync(batchSize, maxLength, cancellationToken);
        if (session is IReroutingSession rerouting) rerouting.ProviderReplaced += replacement => _notices.Enqueue(Describe(replacement));
        return session;
    }

    public static string Describe(ProviderReplacement replacement) =>
        $"provider {Hop(replacement.Lost)} was lost; replayed {replacement.ReplayedPositions} positions on {string.Join(" -> ", replacement.Replacements.Select(Hop))}";

    private static string Hop(RouteHop hop) => $"{hop.Provider.PeerId[^Math.Min(8, hop.Provider.PeerId.Length)..]}[{hop.Start},{hop.End})";
}
