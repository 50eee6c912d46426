using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Testing;
using Peerz.P2P.Kademlia;
using Peerz.P2P.Kademlia.Records;
using Peerz.P2P.Kademlia.Wire;
using Peerz.P2P.Tests.Kademlia.Support;

namespace Peerz.P2P.Tests.Kademlia;

/// <summary>DHT behaviour across many nodes: over real libp2p hosts on loopback, and on in-process pipes where a test must kill nodes.</summary>
public sealed class DhtSwarmTests
{
    private static readonly KademliaOptions Options = new() { ProtocolId = KademliaOptions.PeerzProtocolId, RequestTimeout = TimeSpan.FromSeconds(5) };

    [Theory]
    [InlineData(SwarmTransport.Libp2p, 1)]
    [InlineData(SwarmTransport.Libp2p, 3)]
    [InlineData(SwarmTransport.InProcess, 1)]
    public async Task EveryNodeFindsEveryOtherNodesRecord(SwarmTransport transport, int disjointPaths)
    {
        await using var swarm = await DhtSwarmFixture.StartAsync(20, Options with { DisjointPaths = disjointPaths }, transport);
        var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        for (var i = 0; i < swarm.Nodes.Count; i++)
            Assert.True(await swarm.Nodes[i].Dht.PutValueAsync(DhtSwarmFixture.KeyOf(i), swarm.SignedValue(i, $"hello from {i}"), cts.Token) > 0);

        for (var reader = 0; reader < swarm.Nodes.Count; reader++)
        {
            for (var owner = 0; owner < swarm.Nodes.Count; owner++)
            {
                var value = await swarm.Nodes[reader].Dht.GetValueAsync(DhtSwarmFixture.KeyOf(owner), cts.Token);
                Assert.NotNull(value);
                Assert.Equal($"hello from {owner}", System.Text.Encoding.UTF8.GetString(PeerzSignedRecord.Decode(value).Payload));
            }
        }
    }

    [Fact]
    public async Task NewerSequenceWinsAcrossTheSwarm()
    {
        await using var swarm = await DhtSwarmFixture.StartAsync(10, Options, SwarmTransport.InProcess);
        var key = DhtSwarmFixture.KeyOf(0);
        var seed = swarm.Nodes[0].Seed;
        await swarm.Nodes[0].Dht.PutValueAsync(key, PeerzSignedRecord.Create(Identity.FromSeed(seed), key, [1], 1, DateTimeOffset.UtcNow.AddHours(1)).Encode(), CancellationToken.None);
        await swarm.Nodes[5].Dht.PutValueAsync(key, PeerzSignedRecord.Create(Identity.FromSeed(seed), key, [2], 2, DateTimeOffset.UtcNow.AddHours(1)).Encode(), CancellationToken.None);

        var value = await swarm.Nodes[9].Dht.GetValueAsync(key, CancellationToken.None);

        Assert.Equal([2], PeerzSignedRecord.Decode(value!).Payload);
    }

    [Fact]
    public async Task FindsPeersAndTheirAddresses()
    {
        await using var swarm = await DhtSwarmFixture.StartAsync(20, Options, SwarmTransport.Libp2p);
        var target = swarm.Nodes[17].Network;

        var (peer, _) = await swarm.Nodes[3].Dht.FindPeerAsync(target.LocalPeerId, CancellationToken.None);

        Assert.NotNull(peer);
        Assert.Equal(target.LocalAddresses[0], Assert.Single(peer.Addresses));
    }

    [Fact]
    public async Task ClosestPeersAreTheGloballyClosest()
    {
        await using var swarm = await DhtSwarmFixture.StartAsync(30, Options with { K = 5 }, SwarmTransport.InProcess);
        var key = "/peerz/some-key"u8.ToArray();
        var target = Peerz.P2P.Kademlia.Routing.KadKey.FromKey(key);
        var expected = swarm.Nodes.Select(n => n.Network.LocalPeerId)
            .Where(id => !id.AsSpan().SequenceEqual(swarm.Nodes[4].Network.LocalPeerId))
            .OrderBy(id => Peerz.P2P.Kademlia.Routing.KadKey.FromKey(id), Comparer<Peerz.P2P.Kademlia.Routing.KadKey>.Create(target.CompareDistance))
            .Take(5).Select(Convert.ToHexString);

        var result = await swarm.Nodes[4].Dht.GetClosestPeersAsync(key, CancellationToken.None);

        Assert.Equal(expected, result.ClosestPeers.Select(p => Convert.ToHexString(p.Id)));
        Assert.InRange(result.Hops, 1, 10);
    }

    [Fact]
    public async Task ProvidersAreFoundFromAnyNode()
    {
        await using var swarm = await DhtSwarmFixture.StartAsync(15, Options, SwarmTransport.Libp2p);
        var key = "/peerz/providers/llama-block-7"u8.ToArray();
        await swarm.Nodes[2].Dht.ProvideAsync(key, CancellationToken.None);
        await swarm.Nodes[11].Dht.ProvideAsync(key, CancellationToken.None);

        var providers = await swarm.Nodes[7].Dht.FindProvidersAsync(key, 2, CancellationToken.None);

        Assert.Equal(
            new[] { swarm.Nodes[2].Network.LocalPeerId, swarm.Nodes[11].Network.LocalPeerId }.Select(Convert.ToHexString).Order(),
            providers.Select(p => Convert.ToHexString(p.Id)).Order());
        Assert.All(providers, p => Assert.NotEmpty(p.Addresses));
    }

    [Fact]
    public async Task LookupsRouteAroundDeadPeersAndDropThem()
    {
        await using var swarm = await DhtSwarmFixture.StartAsync(20, Options with { RequestTimeout = TimeSpan.FromSeconds(2) }, SwarmTransport.InProcess);
        await swarm.Nodes[1].Dht.PutValueAsync(DhtSwarmFixture.KeyOf(1), swarm.SignedValue(1, "survives"), CancellationToken.None);
        var dead = Enumerable.Range(10, 5).Select(i => swarm.Nodes[i]).ToList();
        foreach (var node in dead)
            swarm.InProcess!.Kill((InProcessDhtSwarm.Node)node.Network);

        var value = await swarm.Nodes[19].Dht.GetValueAsync(DhtSwarmFixture.KeyOf(1), CancellationToken.None);
        await swarm.Nodes[19].Dht.GetClosestPeersAsync(swarm.Nodes[19].Network.LocalPeerId, CancellationToken.None);

        Assert.NotNull(value);
        Assert.All(dead, d => Assert.False(swarm.Nodes[19].Dht.RoutingTable.Contains(d.Network.LocalPeerId)));
    }

    [Fact]
    public async Task RepublishingCopiesRecordsToNodesThatJoinedLater()
    {
        var options = Options with { K = 3, RepublishInterval = TimeSpan.FromMilliseconds(300) };
        var swarm = new InProcessDhtSwarm();
        var nodes = new List<(InProcessDhtSwarm.Node Network, KademliaDht Dht)>();
        async Task JoinAsync()
        {
            var network = swarm.AddNode();
            var dht = new KademliaDht(network, options, NullLogger.Instance);
            await dht.StartAsync(CancellationToken.None);
            if (nodes.Count > 0)
                await dht.BootstrapAsync(nodes[0].Network.LocalAddresses, CancellationToken.None);
            nodes.Add((network, dht));
        }
        for (var i = 0; i < 5; i++)
            await JoinAsync();
        var key = "/peerz/republished"u8.ToArray();
        var publisher = Identity.Generate();
        await nodes[1].Dht.PutValueAsync(key, PeerzSignedRecord.Create(publisher, key, [42], 1, DateTimeOffset.UtcNow.AddHours(1)).Encode(), CancellationToken.None);

        // The record only reaches late joiners by republishing; join until one of them is among the k closest.
        var target = Peerz.P2P.Kademlia.Routing.KadKey.FromKey(key);
        var byDistance = Comparer<Peerz.P2P.Kademlia.Routing.KadKey>.Create(target.CompareDistance);
        List<(InProcessDhtSwarm.Node Network, KademliaDht Dht)> closest;
        do
        {
            await JoinAsync();
            closest = nodes.Where(n => n != nodes[1])
                .OrderBy(n => Peerz.P2P.Kademlia.Routing.KadKey.FromKey(n.Network.LocalPeerId), byDistance)
                .Take(options.K).ToList();
        }
        while (nodes.Count < 15 || !closest.Any(n => nodes.IndexOf(n) >= 5));
        await WaitUntilAsync(() => closest.All(n => n.Dht.Records.Get(key) is not null));

        foreach (var (_, dht) in nodes)
            await dht.DisposeAsync();
        await swarm.DrainAsync();
    }

    [Fact]
    public async Task AddProviderOnlyRecordsTheSender()
    {
        var swarm = new InProcessDhtSwarm();
        var server = swarm.AddNode();
        var client = swarm.AddNode();
        var someoneElse = swarm.AddNode();
        await using var dht = new KademliaDht(server, Options, NullLogger.Instance);
        await dht.StartAsync(CancellationToken.None);
        var key = "/peerz/providers/x"u8.ToArray();

        await using (var stream = await client.OpenStreamAsync(server.LocalPeerId, Options.ProtocolId, CancellationToken.None))
        {
            var forged = new DhtMessage(DhtMessageType.AddProvider, key, ProviderPeers: [new DhtPeerInfo(someoneElse.LocalPeerId, someoneElse.LocalAddresses)]);
            var honest = new DhtMessage(DhtMessageType.AddProvider, key, ProviderPeers: [new DhtPeerInfo(client.LocalPeerId, client.LocalAddresses)]);
            await DhtMessageFraming.WriteAsync(stream, forged, Options.MaxMessageSize, CancellationToken.None);
            await DhtMessageFraming.WriteAsync(stream, honest, Options.MaxMessageSize, CancellationToken.None);
        }
        await swarm.DrainAsync();

        var provider = Assert.Single(dht.Providers.Get(key));
        Assert.Equal(client.LocalPeerId, provider.Id);
    }

    [Fact]
    public async Task MissingValuesAndPeersEndTheLookupEmptyHanded()
    {
        await using var swarm = await DhtSwarmFixture.StartAsync(10, Options, SwarmTransport.InProcess);

        var value = await swarm.Nodes[3].Dht.QueryValueAsync("/peerz/nobody-wrote-this"u8.ToArray(), CancellationToken.None);
        var (peer, lookup) = await swarm.Nodes[3].Dht.FindPeerAsync([0x00, 0x05, 1, 2, 3, 4, 5], CancellationToken.None);

        Assert.Null(value.Value);
        Assert.NotNull(value.Lookup);
        Assert.Equal(9, value.Lookup.ClosestPeers.Count);
        Assert.Null(peer);
        Assert.False(lookup!.Stopped);
    }

    [Fact]
    public async Task BootstrapRefusesAPeerThatIsNotTheOneAddressed()
    {
        var logger = new FakeLogger();
        await using var swarm = await DhtSwarmFixture.StartAsync(2, Options, SwarmTransport.Libp2p);
        await using var host = new Libp2pHost(new Libp2pHostOptions { ListenAddresses = [Multiaddr.Parse("/ip4/127.0.0.1/tcp/0")] }, NullLoggerFactory.Instance);
        await host.StartAsync(CancellationToken.None);
        await using var dht = new KademliaDht(host, Options, logger);
        await dht.StartAsync(CancellationToken.None);
        // Node 0's address, claiming to be node 1: the noise handshake proves otherwise.
        var impostor = swarm.Nodes[0].Host!.ListenAddresses[0].WithoutPeerId().WithPeerId(swarm.Nodes[1].Host!.PeerId);

        var known = await dht.BootstrapAsync([impostor], CancellationToken.None);

        Assert.Equal(0, known);
        Assert.Contains(logger.Collector.GetSnapshot(), r => r.Message.Contains("bootstrap peer") && r.Message.Contains("failed"));
    }

    [Fact]
    public async Task RejectsUnsignedValuesLocally()
    {
        await using var swarm = await DhtSwarmFixture.StartAsync(2, Options, SwarmTransport.InProcess);
        await Assert.ThrowsAsync<InvalidRecordException>(() => swarm.Nodes[0].Dht.PutValueAsync("/peerz/x"u8.ToArray(), [1, 2, 3], CancellationToken.None));
    }

    [Fact]
    public async Task MalformedAndOversizedMessagesCloseTheStreamWithALogLine()
    {
        var logger = new FakeLogger();
        var swarm = new InProcessDhtSwarm();
        var server = swarm.AddNode();
        var client = swarm.AddNode();
        await using var dht = new KademliaDht(server, Options, logger);
        await dht.StartAsync(CancellationToken.None);

        async Task<int> SendRawAsync(byte[] bytes)
        {
            await using var stream = await client.OpenStreamAsync(server.LocalPeerId, Options.ProtocolId, CancellationToken.None);
            await stream.WriteAsync(bytes);
            await stream.FlushAsync();
            // The server must close: reading returns end of stream rather than hanging.
            return await stream.ReadAsync(new byte[16]).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        }

        Assert.Equal(0, await SendRawAsync([0xFF, 0xFF, 0xFF, 0xFF, 0x0F])); // 4 GiB length prefix
        Assert.Equal(0, await SendRawAsync([0x02, 0x08, 0x63]));             // unknown message type 99
        var badPut = new DhtMessage(DhtMessageType.PutValue, "/peerz/a"u8.ToArray(), new DhtRecord("/peerz/a"u8.ToArray(), [1, 2, 3])).ToBytes();
        Assert.Equal(0, await SendRawAsync([(byte)badPut.Length, .. badPut]));
        await swarm.DrainAsync();

        Assert.Contains(logger.Collector.GetSnapshot(), r => r.Message.Contains("exceeds"));
        Assert.Contains(logger.Collector.GetSnapshot(), r => r.Message.Contains("unknown DHT message type 99"));
        Assert.Contains(logger.Collector.GetSnapshot(), r => r.Message.Contains("rejected record"));
        Assert.Equal(0, dht.Records.Count);
    }

    [Fact]
    public async Task FullBucketEvictsADeadPeerButKeepsALiveOne()
    {
        var swarm = new InProcessDhtSwarm();
        var local = swarm.AddNode();
        await using var dht = new KademliaDht(local, Options with { K = 1 }, NullLogger.Instance);
        await dht.StartAsync(CancellationToken.None);
        var localKey = dht.RoutingTable.LocalKey;
        // Three peers in bucket 0 (first bit differs from ours), each running a DHT.
        var peers = new List<(InProcessDhtSwarm.Node Node, KademliaDht Dht)>();
        while (peers.Count < 3)
        {
            var node = swarm.AddNode();
            if (localKey.CommonPrefixLength(Peerz.P2P.Kademlia.Routing.KadKey.FromKey(node.LocalPeerId)) != 0)
                continue;
            var peerDht = new KademliaDht(node, Options, NullLogger.Instance);
            await peerDht.StartAsync(CancellationToken.None);
            local.AddAddresses(node.LocalPeerId, node.LocalAddresses);
            node.AddAddresses(local.LocalPeerId, local.LocalAddresses);
            peers.Add((node, peerDht));
        }

        await peers[0].Dht.BootstrapAsync(local.LocalAddresses, CancellationToken.None);
        Assert.True(dht.RoutingTable.Contains(peers[0].Node.LocalPeerId));

        // Live occupant: the newcomer is dropped.
        await peers[1].Dht.BootstrapAsync(local.LocalAddresses, CancellationToken.None);
        await WaitUntilAsync(() => !dht.RoutingTable.Contains(peers[1].Node.LocalPeerId) && dht.RoutingTable.Contains(peers[0].Node.LocalPeerId));

        // Dead occupant: the newcomer replaces it after the failed PING.
        swarm.Kill(peers[0].Node);
        await peers[2].Dht.BootstrapAsync(local.LocalAddresses, CancellationToken.None);
        await WaitUntilAsync(() => dht.RoutingTable.Contains(peers[2].Node.LocalPeerId));
        Assert.False(dht.RoutingTable.Contains(peers[0].Node.LocalPeerId));

        foreach (var (_, peerDht) in peers)
            await peerDht.DisposeAsync();
        await swarm.DrainAsync();
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not reached within 10 s");
            await Task.Delay(20);
        }
    }
}
