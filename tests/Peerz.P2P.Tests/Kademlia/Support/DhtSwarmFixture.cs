using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Peerz.P2P.Kademlia;
using Peerz.P2P.Kademlia.Records;

namespace Peerz.P2P.Tests.Kademlia.Support;

/// <summary>How the swarm's nodes talk: real libp2p hosts on 127.0.0.1 (TCP, noise, yamux) or in-process pipes.</summary>
public enum SwarmTransport
{
    Libp2p,
    InProcess,
}

/// <summary>One swarm member: its network binding, DHT, record-signing seed, and host when on libp2p.</summary>
internal sealed record SwarmNode(IDhtNetwork Network, KademliaDht Dht, byte[] Seed, Libp2pHost? Host);

/// <summary>Starts n DHT nodes, each bootstrapped from node 0 or from a given outside peer.</summary>
internal sealed class DhtSwarmFixture : IAsyncDisposable
{
    private DhtSwarmFixture(InProcessDhtSwarm? inProcess, List<SwarmNode> nodes)
    {
        InProcess = inProcess;
        Nodes = nodes;
    }

    /// <summary>The in-process transport, when used (lets tests kill nodes).</summary>
    public InProcessDhtSwarm? InProcess { get; }
    public List<SwarmNode> Nodes { get; }

    public static async Task<DhtSwarmFixture> StartAsync(int count, KademliaOptions options, SwarmTransport transport, ILogger? logger = null, Multiaddr? bootstrap = null)
    {
        var inProcess = transport == SwarmTransport.InProcess ? new InProcessDhtSwarm() : null;
        var nodes = new List<SwarmNode>();
        var fixture = new DhtSwarmFixture(inProcess, nodes);
        try
        {
            for (var i = 0; i < count; i++)
            {
                SwarmNode node;
                if (inProcess is not null)
                {
                    var network = inProcess.AddNode();
                    node = new SwarmNode(network, new KademliaDht(network, options, logger ?? NullLogger.Instance), RandomNumberGenerator.GetBytes(32), null);
                }
                else
                {
                    var host = new Libp2pHost(new Libp2pHostOptions { ListenAddresses = [Multiaddr.Parse("/ip4/127.0.0.1/tcp/0")] }, NullLoggerFactory.Instance);
                    await host.StartAsync(CancellationToken.None);
                    var dht = new KademliaDht(host, options, logger ?? NullLogger.Instance);
                    node = new SwarmNode(new Libp2pDhtNetwork(host), dht, RandomNumberGenerator.GetBytes(32), host);
                }
                nodes.Add(node);
                await node.Dht.StartAsync(CancellationToken.None);
            }
            var entry = bootstrap?.ToBytes() ?? nodes[0].Network.LocalAddresses[0];
            // Sequential joins, as nodes come up one by one in a real network.
            for (var i = bootstrap is null ? 1 : 0; i < count; i++)
                await nodes[i].Dht.BootstrapAsync([entry], CancellationToken.None);
            return fixture;
        }
        catch
        {
            await fixture.DisposeAsync();
            throw;
        }
    }

    public static byte[] KeyOf(int node) => System.Text.Encoding.UTF8.GetBytes($"/peerz/test/node-{node}");

    public byte[] SignedValue(int node, string payload) =>
        PeerzSignedRecord.Create(Identity.FromSeed(Nodes[node].Seed), KeyOf(node), System.Text.Encoding.UTF8.GetBytes(payload), 1, DateTimeOffset.UtcNow.AddHours(1)).Encode();

    public async ValueTask DisposeAsync()
    {
        foreach (var node in Nodes)
        {
            await node.Dht.DisposeAsync();
            if (node.Host is not null)
                await node.Host.DisposeAsync();
        }
        if (InProcess is not null)
            await InProcess.DrainAsync();
    }
}
