using Xunit.Abstractions;

namespace Peerz.Integration.Tests.Chaos;

/// <summary>The long chaos soak (category Slow, `scripts/test.sh --slow`): PEERZ_CHAOS_LONG_SECONDS of load and faults, 15 minutes by default.</summary>
[Trait("Category", "Slow")]
public sealed class ChaosSoakSlowTests(ChaosDevnet devnet, ITestOutputHelper output) : IClassFixture<ChaosDevnet>
{
    [Fact]
    public Task The_network_keeps_its_invariants_through_a_long_soak() =>
        ChaosSoak.RunAsync(devnet, output, TimeSpan.FromSeconds(ChaosSoakTests.PositiveSetting("PEERZ_CHAOS_LONG_SECONDS", 900)));
}
