using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Testing;
using Peerz.P2P.Kademlia;
using Peerz.P2P.Kademlia.Records;
using Peerz.P2P.Tests.Kademlia.Support;

namespace Peerz.P2P.Tests.Kademlia;

/// <summary>
/// FIND_NODE, PUT_VALUE and GET_VALUE between our DHT and js-libp2p's @libp2p/kad-dht 16.4.5 in both
/// directions, both sides configured with the Peerz protocol id. js validates /peerz/ records with its own
/// parser and @libp2p/crypto's Ed25519 (js/kad-node.mjs), so each side checks the other's signatures.
/// Topology: js node J; C# nodes A and B bootstrap from J only; js node J2 dials A only.
/// </summary>
[Trait("Category", "JavaScript")]
public sealed class KademliaJsInteropTests : IAsyncLifetime
{
    private static readonly KademliaOptions Options = new() { ProtocolId = KademliaOptions.PeerzProtocolId, RequestTimeout = TimeSpan.FromSeconds(5) };
    private readonly FakeLogger _log = new();
    private DhtSwarmFixture? _csharp;
    private JsKadNode? _j;
    private JsKadNode? _j2;

    public async Task InitializeAsync()
    {
        _j = await JsKadNode.StartAsync(KademliaOptions.PeerzProtocolId);
        _csharp = await DhtSwarmFixture.StartAsync(2, Options, SwarmTransport.Libp2p, _log, bootstrap: _j.Address);
        _j2 = await JsKadNode.StartAsync(KademliaOptions.PeerzProtocolId);
        await _j2.CommandAsync("dial", new { addr = _csharp.Nodes[0].Host!.ListenAddresses[0].ToString() });
    }

    public async Task DisposeAsync()
    {
        if (_j2 is not null)
            await _j2.DisposeAsync();
        if (_j is not null)
            await _j.DisposeAsync();
        if (_csharp is not null)
            await _csharp.DisposeAsync();
    }

    private SwarmNode A => _csharp!.Nodes[0];
    private SwarmNode B => _csharp!.Nodes[1];

    [Fact]
    public async Task CSharpLearnsPeersFromJsFindNodeResponses()
    {
        // A and B only ever dialled J: each knows the other through J's FIND_NODE answers.
        Assert.True(A.Dht.RoutingTable.Contains(_j!.PeerId.ToBytes()));
        var (found, _) = await A.Dht.FindPeerAsync(B.Host!.PeerId.ToBytes(), CancellationToken.None);
        Assert.NotNull(found);
        Assert.Contains(found.Addresses, a => Multiaddr.FromBytes(a).Equals(B.Host.ListenAddresses[0].WithoutPeerId()));
    }

    [Fact]
    public async Task JsFindsAPeerThroughCSharpFindNodeResponses()
    {
        // J2 is connected to A only; B's address can only come from A's FIND_NODE responses (or peers A told it about).
        var result = await _j2!.CommandAsync("findPeer", new { peerId = B.Host!.PeerId.ToString() });
        var port = B.Host.ListenAddresses[0].ToString().Split('/')[4];
        Assert.Contains(result["addrs"]!.AsArray(), a => a!.GetValue<string>().Contains($"/tcp/{port}"));
    }

    [Fact]
    public async Task JsGetsAValueCSharpPut()
    {
        var key = "/peerz/interop/from-csharp"u8.ToArray();
        var value = PeerzSignedRecord.Create(Identity.FromSeed(A.Seed), key, "written by C#"u8.ToArray(), 1, DateTimeOffset.UtcNow.AddHours(1)).Encode();

        var stored = await A.Dht.PutValueAsync(key, value, CancellationToken.None);
        var result = await _j2!.CommandAsync("get", new { key = "/peerz/interop/from-csharp" });

        Assert.True(stored >= 2, $"accepted by {stored} peers");
        Assert.Equal("written by C#", result["payload"]!.GetValue<string>());
        Assert.Equal(Convert.ToBase64String(value), result["valueBase64"]!.GetValue<string>());
    }

    [Fact]
    public async Task CSharpGetsAValueJsPut()
    {
        await _j2!.CommandAsync("put", new { key = "/peerz/interop/from-js", payload = "written by js", seq = 1 });

        var value = await B.Dht.GetValueAsync("/peerz/interop/from-js"u8.ToArray(), CancellationToken.None);

        Assert.NotNull(value);
        Assert.Equal("written by js", System.Text.Encoding.UTF8.GetString(PeerzSignedRecord.Decode(value).Payload));
    }

    [Fact]
    public async Task CSharpRejectsAnUnsignedValueFromJs()
    {
        await _j2!.CommandAsync("putRaw", new { key = "/peerz/interop/unsigned", valueBase64 = Convert.ToBase64String("not signed"u8) });

        Assert.Null(A.Dht.Records.Get("/peerz/interop/unsigned"u8));
        Assert.Null(B.Dht.Records.Get("/peerz/interop/unsigned"u8));
        Assert.Contains(_log.Collector.GetSnapshot(), r => r.Message.Contains("rejected record"));
    }

    [Fact]
    public async Task JsRejectsAValueWithABadSignatureFromCSharp()
    {
        var key = "/peerz/interop/tampered"u8.ToArray();
        var record = PeerzSignedRecord.Create(Identity.FromSeed(A.Seed), key, "original"u8.ToArray(), 1, DateTimeOffset.UtcNow.AddHours(1));
        var tampered = (record with { Payload = "tampered"u8.ToArray() }).Encode();
        // Bypass our own validator by speaking the wire protocol directly to J.
        var network = A.Network;
        await using (var stream = await network.OpenStreamAsync(_j!.PeerId.ToBytes(), Options.ProtocolId, CancellationToken.None))
        {
            var put = new Peerz.P2P.Kademlia.Wire.DhtMessage(Peerz.P2P.Kademlia.Wire.DhtMessageType.PutValue, key, new Peerz.P2P.Kademlia.Wire.DhtRecord(key, tampered));
            await Peerz.P2P.Kademlia.Wire.DhtMessageFraming.WriteAsync(stream, put, Options.MaxMessageSize, CancellationToken.None);
            // js answers a valid PUT with an echo; an invalid one closes the stream without an answer.
            var reply = await ReadOrNullAsync(stream);
            Assert.Null(reply);
        }
        await Assert.ThrowsAsync<JsCommandException>(() => _j.CommandAsync("get", new { key = "/peerz/interop/tampered" }));
    }

    private static async Task<Peerz.P2P.Kademlia.Wire.DhtMessage?> ReadOrNullAsync(Stream stream)
    {
        try
        {
            return await Peerz.P2P.Kademlia.Wire.DhtMessageFraming.ReadAsync(stream, 64 * 1024, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (IOException)
        {
            return null;
        }
    }
}
