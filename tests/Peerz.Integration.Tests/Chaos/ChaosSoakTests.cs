using System.Globalization;
using Xunit.Abstractions;

namespace Peerz.Integration.Tests.Chaos;

/// <summary>
/// The short chaos soak that runs with the default suite (category Chaos): about 80 s of load and faults (a fault under way finishes), about 3–3.5 minutes of
/// wall time in all. PEERZ_CHAOS_SECONDS sets another load time; PEERZ_CHAOS_SEED replays a fault schedule.
/// </summary>
[Trait("Category", "Chaos")]
public sealed class ChaosSoakTests(ChaosDevnet devnet, ITestOutputHelper output) : IClassFixture<ChaosDevnet>
{
    [Fact]
    public Task The_network_keeps_its_invariants_under_load_while_processes_are_killed_and_restarted() =>
        ChaosSoak.RunAsync(devnet, output, TimeSpan.FromSeconds(PositiveSetting("PEERZ_CHAOS_SECONDS", 80)));

    internal static int PositiveSetting(string variable, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(variable), CultureInfo.InvariantCulture, out var seconds) && seconds > 0 ? seconds : fallback;
}
