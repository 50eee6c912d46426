using Peerz.Testing.Network;
using Peerz.Testing.Prometheus;
using Xunit.Abstractions;

namespace Peerz.Integration.Tests.Nat;

/// <summary>
/// Providers and clients behind real NATs (network namespaces, iptables MASQUERADE home routers; see NetworkLab),
/// unpaid: AutoNAT's verdict, generation through a relay, hole punching where the NATs allow it, and a relay that
/// dies mid-generation. Every check is what an operator or user sees: logs, metrics, generated text.
/// Alone: dotnet test tests/Peerz.Integration.Tests --filter Category=Nat
/// </summary>
[Trait("Category", "Nat")]
public sealed class NatTraversalTests(TokenizedModelFixture model, ITestOutputHelper output) : IClassFixture<TokenizedModelFixture>
{
    private static readonly TimeSpan Reachable = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan Generation = TimeSpan.FromSeconds(180);
    private const int Tokens = 48;

    [NetworkLabFact]
    public void AutoNat_finds_a_provider_behind_a_nat_private_and_providers_outside_public()
    {
        using var lab = new NetworkLab();
        using var swarm = new LabSwarm(lab, model.Directory);
        try
        {
            var first = swarm.StartRelay(lab.AddPublicHost("relay1"));
            var second = swarm.StartRelay(lab.AddPublicHost("relay2"));
            var home = swarm.StartProvider(lab.AddPrivateHost("home", NatKind.Cone), "tiny", "0:4", "--metrics-listen", "http://127.0.0.1:9101");

            output.WriteLine(first.Process.WaitForPrintedLineContaining("reachability: public", Reachable));
            output.WriteLine(second.Process.WaitForPrintedLineContaining("reachability: public", Reachable));
            output.WriteLine(home.Process.WaitForPrintedLineContaining("reachability: private", Reachable));

            var metrics = PrometheusText.Parse(Fetch(lab, home.Host, "http://127.0.0.1:9101/metrics"));
            Assert.Equal(1, metrics.Value("peerz_provider_reachability", ("state", "private")));
            Assert.Equal(0, metrics.Value("peerz_provider_reachability", ("state", "public")));
            Assert.Equal(0, metrics.Value("peerz_provider_relay_service"));
        }
        finally
        {
            Dump(lab);
        }
    }

    [NetworkLabFact]
    public async Task A_provider_reachable_only_through_a_relay_generates_the_tokens_of_a_local_run_and_of_a_direct_provider()
    {
        var expected = await LabSwarm.GenerateLocallyAsync(model.Directory, Tokens);
        using var lab = new NetworkLab();
        using var swarm = new LabSwarm(lab, model.Directory);
        try
        {
            swarm.StartRelay(lab.AddPublicHost("relay1"));
            swarm.StartRelay(lab.AddPublicHost("relay2"));
            var clientHost = lab.AddPrivateHost("client", NatKind.Symmetric);
            // The baseline in the same lab: a public provider, reached directly.
            swarm.StartProvider(lab.AddPublicHost("public"), "tiny-direct", "0:4");
            var viaDirect = swarm.Generate(clientHost, "tiny-direct", Tokens);
            Assert.True(await viaDirect.WaitForExitAsync(Generation) == 0, viaDirect.Output);
            Assert.Equal(expected, LabSwarm.GeneratedText(viaDirect));
            Assert.DoesNotContain("via relay", viaDirect.Output);

            // Symmetric NATs on both sides: hole punching cannot work, so every byte goes through a relay.
            var home = swarm.StartProvider(lab.AddPrivateHost("home", NatKind.Symmetric), "tiny", "0:4");
            output.WriteLine(home.Process.WaitForPrintedLineContaining("reachability: private; reachable through relays", Reachable));
            output.WriteLine(LabSwarm.WaitUntilReachableThroughRelays(home, 1, Reachable));

            var client = swarm.Generate(clientHost, "tiny", Tokens);
            Assert.True(await client.WaitForExitAsync(Generation) == 0, client.Output);
            Assert.Equal(expected, LabSwarm.GeneratedText(client));
            Assert.NotNull(LabSwarm.RelayOfInferenceStream(home));
            Assert.Contains("via relay", client.Output);
        }
        finally
        {
            Dump(lab);
        }
    }

    [NetworkLabFact]
    public async Task Hole_punching_connects_directly_through_cone_nats_and_the_relay_stays_where_a_nat_is_symmetric()
    {
        var expected = await LabSwarm.GenerateLocallyAsync(model.Directory, Tokens);
        using var lab = new NetworkLab();
        using var swarm = new LabSwarm(lab, model.Directory);
        try
        {
            swarm.StartRelay(lab.AddPublicHost("relay1"));
            swarm.StartRelay(lab.AddPublicHost("relay2"));
            // Two models so each client run has exactly one provider to go to.
            var cone = swarm.StartProvider(lab.AddPrivateHost("cone", NatKind.Cone), "tiny-cone", "0:4");
            var symmetric = swarm.StartProvider(lab.AddPrivateHost("symmetric", NatKind.Symmetric), "tiny-symmetric", "0:4");
            output.WriteLine(cone.Process.WaitForPrintedLineContaining("reachability: private; reachable through relays", Reachable));
            output.WriteLine(symmetric.Process.WaitForPrintedLineContaining("reachability: private; reachable through relays", Reachable));
            output.WriteLine(LabSwarm.WaitUntilReachableThroughRelays(cone, 1, Reachable));
            output.WriteLine(LabSwarm.WaitUntilReachableThroughRelays(symmetric, 1, Reachable));
            var clientHost = lab.AddPrivateHost("client", NatKind.Cone);

            var direct = swarm.Generate(clientHost, "tiny-cone", Tokens);
            Assert.True(await direct.WaitForExitAsync(Generation) == 0, direct.Output);
            Assert.Equal(expected, LabSwarm.GeneratedText(direct));
            Assert.Contains("dcutr: direct connection", cone.Process.Output);
            Assert.Null(LabSwarm.RelayOfInferenceStream(cone)); // the session's stream came over the punched direct connection
            Assert.DoesNotContain("via relay", direct.Output);

            var relayed = swarm.Generate(clientHost, "tiny-symmetric", Tokens);
            Assert.True(await relayed.WaitForExitAsync(Generation) == 0, relayed.Output);
            Assert.Equal(expected, LabSwarm.GeneratedText(relayed));
            Assert.Contains("dcutr: no direct connection", symmetric.Process.Output);
            Assert.NotNull(LabSwarm.RelayOfInferenceStream(symmetric)); // the punch failed; the relayed connection was kept
        }
        finally
        {
            Dump(lab);
        }
    }

    [NetworkLabFact]
    public async Task A_relay_killed_mid_generation_is_survived_with_the_local_tokens()
    {
        // Long enough that the kill lands mid-generation: on a quiet machine 120 tokens through the relay were done before
        // the test had read the provider's log line naming the relay (once in 10 runs).
        const int tokens = 1000;
        var expected = await LabSwarm.GenerateLocallyAsync(model.Directory, tokens);
        using var lab = new NetworkLab();
        using var swarm = new LabSwarm(lab, model.Directory);
        try
        {
            var relays = new[] { swarm.StartRelay(lab.AddPublicHost("relay1")), swarm.StartRelay(lab.AddPublicHost("relay2")) };
            var providers = new[]
            {
                swarm.StartProvider(lab.AddPrivateHost("home1", NatKind.Symmetric), "tiny", "0:4"),
                swarm.StartProvider(lab.AddPrivateHost("home2", NatKind.Symmetric), "tiny", "0:4"),
            };
            // Both relays hold a reservation for both providers, so either survives the loss of one relay.
            foreach (var provider in providers)
            {
                provider.Process.WaitForPrintedLineContaining("reachability: private; reachable through relays", Reachable);
                provider.Process.WaitForPrintedLine(l => l.Contains("announced addresses:", StringComparison.Ordinal) && relays.All(r => l.Contains(r.PeerId, StringComparison.Ordinal)),
                    "announcing circuit addresses on both relays", Reachable);
            }

            var client = swarm.Generate(lab.AddPrivateHost("client", NatKind.Symmetric), "tiny", tokens);
            // The first inference stream names the relay carrying the session: kill that relay while tokens flow.
            var serving = WaitForRelayedSession(providers, client);
            var relay = relays.Single(r => r.PeerId == LabSwarm.RelayOfInferenceStream(serving));
            relay.Process.Kill();
            output.WriteLine($"killed {relay.Host} carrying the session to {serving.Host}");

            Assert.True(await client.WaitForExitAsync(Generation) == 0, client.Output);
            Assert.Equal(expected, LabSwarm.GeneratedText(client));
            // Recovered, not lucky: one hop serves all blocks, so a second inference stream (at either provider, through the
            // surviving relay) is the session reopened or replaced after the kill, whether it hit a step or the open.
            Assert.True(providers.Sum(p => p.Process.Output.Split('\n').Count(l => l.Contains("inference stream from", StringComparison.Ordinal))) >= 2, client.Output);
        }
        finally
        {
            Dump(lab);
        }
    }

    /// <summary>Waits (bounded) until one of the providers logs an inference stream through a relay.</summary>
    private static LabPeer WaitForRelayedSession(IReadOnlyList<LabPeer> providers, Testing.Processes.PeerzProcess client)
    {
        var deadline = DateTime.UtcNow + Generation;
        while (DateTime.UtcNow < deadline && !client.HasExited)
        {
            if (providers.FirstOrDefault(p => LabSwarm.RelayOfInferenceStream(p) is not null) is { } serving) return serving;
            Thread.Sleep(20);
        }
        var why = client.HasExited ? $"the client exited ({client.WaitForExitAsync(TimeSpan.FromSeconds(10)).Result})" : "in time";
        throw new TimeoutException($"no provider logged a relayed inference stream {why}; client:\n{client.Output}");
    }

    private static string Fetch(NetworkLab lab, LabHost host, string url)
    {
        var (exitCode, text, error) = lab.Run(host, NodeScript.NodePath, "-e", "fetch(process.argv[1]).then(r => r.text()).then(t => process.stdout.write(t))", url);
        Assert.True(exitCode == 0, error);
        return text;
    }

    private void Dump(NetworkLab lab)
    {
        foreach (var (host, process) in lab.Processes)
            output.WriteLine($"==== {host}\n{process.Output}");
    }
}
