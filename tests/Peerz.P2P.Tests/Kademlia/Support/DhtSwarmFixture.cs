using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Peerz.P2P.Kademlia;
using Peerz.P2P.Kademlia.Records;

namespace Peerz.P2P.Tests.Kademlia.Support;

/// <summary>Starts n DHT nodes on an <see cref="InProcessDhtSwarm"/>, each bootstrapped from node 0.</summary>
internal sealed class DhtSwarmFixture : IAsyncDisposable
{
    private DhtSwarmFixture(InProcessDhtSwarm swarm, List<(InProcessDhtSwarm.Node Network, KademliaDht Dht, byte[] Seed)> nodes)
    {
        Swarm = swarm;
        Nodes = nodes;
    }

    public InProcessDhtSwarm Swarm { get; }
    public List<(InProcessDhtSwarm.Node Network, KademliaDht Dht, byte[] Seed)> Nodes { get; }

    public static async Task<DhtSwarmFixture> StartAsync(int count, KademliaOptions options, ILogger? logger = null)
    {
        var swarm = new InProcessDhtSwarm();
        var nodes = new List<(InProcessDhtSwarm.Node, KademliaDht, byte[])>();
        for (var i = 0; i < count; i++)
        {
            var network = swarm.AddNode();
            var dht = new KademliaDht(network, options, logger ?? NullLogger.Instance);
            await dht.StartAsync(CancellationToken.None);
            nodes.Add((network, dht, RandomNumberGenerator.GetBytes(32)));
        }
        var bootstrap = nodes[0].Item1.LocalAddresses[0];
        // Sequential joins, as nodes come up one by one in a real network.
        for (var i = 1; i < count; i++)
            await nodes[i].Item2.BootstrapAsync([bootstrap], CancellationToken.None);
        return new DhtSwarmFixture(swarm, nodes);
    }

    public static byte[] KeyOf(int node) => System.Text.Encoding.UTF8.GetBytes($"/peerz/test/node-{node}");

    public byte[] SignedValue(int node, string payload) =>
        PeerzSignedRecord.Create(Nodes[node].Seed, KeyOf(node), System.Text.Encoding.UTF8.GetBytes(payload), 1, DateTimeOffset.UtcNow.AddHours(1)).Encode();

    public async ValueTask DisposeAsync()
    {
        foreach (var (_, dht, _) in Nodes)
            await dht.DisposeAsync();
        await Swarm.DrainAsync();
    }
}
