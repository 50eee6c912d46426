using System.Diagnostics;
using Peerz.P2P.Kademlia;
using Peerz.P2P.Kademlia.Records;
using Peerz.P2P.Kademlia.Wire;
using Peerz.P2P.Tests.Kademlia.Support;
using Xunit.Abstractions;

namespace Peerz.P2P.Tests.Kademlia;

/// <summary>
/// 100 nodes: every node reads every other node's record. Prints lookup hops, queries and latency beside
/// a baseline measured in the same run (one direct GET_VALUE request, on an open connection, to a peer known to hold the record),
/// for docs/benchmarks.md. Asserts only correctness.
/// </summary>
public sealed class DhtSwarmScaleTests(ITestOutputHelper output)
{
    [Fact]
    [Trait("Category", "Slow")]
    public async Task HundredNodesEachFindEveryRecord()
    {
        const int count = 100;
        var options = new KademliaOptions { ProtocolId = KademliaOptions.PeerzProtocolId };
        var setup = Stopwatch.StartNew();
        await using var swarm = await DhtSwarmFixture.StartAsync(count, options, SwarmTransport.Libp2p);
        for (var i = 0; i < count; i++)
            Assert.True(await swarm.Nodes[i].Dht.PutValueAsync(DhtSwarmFixture.KeyOf(i), swarm.SignedValue(i, $"record {i}"), CancellationToken.None) > 0);
        output.WriteLine($"setup: {count} nodes bootstrapped and {count} records put in {setup.Elapsed.TotalSeconds:F1} s");

        var hops = new List<int>();
        var queries = new List<int>();
        var latencies = new List<double>();
        var local = 0;
        for (var reader = 0; reader < count; reader++)
        {
            for (var owner = 0; owner < count; owner++)
            {
                if (owner == reader)
                    continue;
                var timer = Stopwatch.StartNew();
                var result = await swarm.Nodes[reader].Dht.QueryValueAsync(DhtSwarmFixture.KeyOf(owner), CancellationToken.None);
                latencies.Add(timer.Elapsed.TotalMilliseconds);
                Assert.NotNull(result.Value);
                Assert.Equal($"record {owner}", System.Text.Encoding.UTF8.GetString(PeerzSignedRecord.Decode(result.Value).Payload));
                if (result.Lookup is null)
                {
                    local++;
                    continue;
                }
                hops.Add(result.Lookup.Hops);
                queries.Add(result.Lookup.Queries);
            }
        }

        var baseline = await DirectRequestBaselineAsync(swarm, count);
        output.WriteLine($"lookups: {latencies.Count} ({local} answered from the local store with quorum reached locally)");
        output.WriteLine($"hops: mean {hops.Average():F2}, max {hops.Max()}; distribution {string.Join(", ", hops.GroupBy(h => h).OrderBy(g => g.Key).Select(g => $"{g.Key}:{g.Count()}"))}");
        output.WriteLine($"queries per GET_VALUE lookup: mean {queries.Average():F1}, max {queries.Max()}");
        output.WriteLine($"GET_VALUE lookup latency ms: p50 {Percentile(latencies, 50):F2}, p95 {Percentile(latencies, 95):F2}, max {latencies.Max():F2}");
        output.WriteLine($"baseline, one direct GET_VALUE request to a holder, ms: p50 {Percentile(baseline, 50):F3}, p95 {Percentile(baseline, 95):F3}");
    }

    private static async Task<List<double>> DirectRequestBaselineAsync(DhtSwarmFixture swarm, int count)
    {
        var latencies = new List<double>();
        for (var owner = 0; owner < count; owner++)
        {
            var key = DhtSwarmFixture.KeyOf(owner);
            var holder = swarm.Nodes.First(n => n.Dht.Records.Get(key) is not null && n != swarm.Nodes[owner]);
            var asker = swarm.Nodes[(owner + 1) % count].Network;
            asker.AddAddresses(holder.Network.LocalPeerId, holder.Network.LocalAddresses);
            // The first request may have to dial; time the second, which is one request on an open connection.
            await DirectGetAsync(asker, holder.Network.LocalPeerId, key);
            var timer = Stopwatch.StartNew();
            await DirectGetAsync(asker, holder.Network.LocalPeerId, key);
            latencies.Add(timer.Elapsed.TotalMilliseconds);
        }
        return latencies;
    }

    private static async Task DirectGetAsync(IDhtNetwork asker, byte[] holder, byte[] key)
    {
        await using var stream = await asker.OpenStreamAsync(holder, KademliaOptions.PeerzProtocolId, CancellationToken.None);
        await DhtMessageFraming.WriteAsync(stream, new DhtMessage(DhtMessageType.GetValue, key), 64 * 1024, CancellationToken.None);
        var response = await DhtMessageFraming.ReadAsync(stream, 64 * 1024, CancellationToken.None);
        Assert.NotNull(response?.Record);
    }

    private static double Percentile(List<double> values, int percentile)
    {
        var sorted = values.Order().ToList();
        return sorted[Math.Min(sorted.Count - 1, sorted.Count * percentile / 100)];
    }
}
