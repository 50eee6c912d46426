using Peerz.Client.Routing;
using Peerz.Discovery;

namespace Peerz.Client.Tests;

public sealed class RoutePlannerTests
{
    private static ProviderRecord Provider(string id, int start, int end, double throughput = 100) =>
        new() { PeerId = id, ModelId = "m", Start = start, End = end, Throughput = throughput };

    private static RoutePlanner Planner(double jitter = 0, Func<string, TimeSpan>? rtt = null) =>
        new(rtt ?? (_ => TimeSpan.FromMilliseconds(10)), new Random(1), jitter);

    [Fact]
    public void One_provider_for_all_blocks_beats_two_hops_of_equal_speed()
    {
        var route = Planner().Plan([Provider("a", 0, 4), Provider("b", 0, 2), Provider("c", 2, 4)], "m", 0, 4);
        Assert.Equal(["a"], route.Select(h => h.Provider.PeerId));
    }

    [Fact]
    public void A_slow_provider_is_avoided_when_a_faster_chain_covers_the_blocks()
    {
        // "a" computes a token through its 4 blocks in 1 s; the chain b+c costs 2 x 10 ms RTT + ~10 ms.
        var route = Planner().Plan([Provider("a", 0, 4, throughput: 1), Provider("b", 0, 2), Provider("c", 2, 4)], "m", 0, 4);
        Assert.Equal(["b", "c"], route.Select(h => h.Provider.PeerId));
    }

    [Fact]
    public void Overlapping_spans_are_used_as_sub_ranges_and_excluded_providers_are_skipped()
    {
        var providers = new[] { Provider("a", 0, 3), Provider("b", 2, 6), Provider("c", 0, 6, throughput: 0.5) };
        var route = Planner().Plan(providers, "m", 0, 6, excluded: new HashSet<string> { "c" });
        // b spreads the same throughput over 4 blocks (faster per block than a's 3), so it takes block 2 too.
        Assert.Equal([("a", 0, 2), ("b", 2, 6)], route.Select(h => (h.Provider.PeerId, h.Start, h.End)));
    }

    [Fact]
    public void Offline_providers_and_other_models_are_ignored()
    {
        var providers = new[] { Provider("a", 0, 4) with { State = Protocol.Wire.ServerState.Offline }, Provider("b", 0, 4) with { ModelId = "other" } };
        Assert.Equal(0, Assert.Throws<NoRouteException>(() => Planner().Plan(providers, "m", 0, 4)).MissingBlock);
    }
}
