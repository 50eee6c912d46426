using System.Numerics;
using System.Security.Cryptography;
using Peerz.P2P.Kademlia.Routing;

namespace Peerz.P2P.Tests.Kademlia;

public sealed class RoutingTableTests
{
    private static byte[] RandomId()
    {
        var id = new byte[34];
        id[0] = 0x12;
        id[1] = 0x20;
        RandomNumberGenerator.Fill(id.AsSpan(2));
        return id;
    }

    /// <summary>XOR distance computed independently as a 256-bit big-endian integer over SHA-256.</summary>
    private static BigInteger Distance(byte[] a, byte[] b) =>
        new BigInteger(SHA256.HashData(a), isUnsigned: true, isBigEndian: true)
        ^ new BigInteger(SHA256.HashData(b), isUnsigned: true, isBigEndian: true);

    [Fact]
    public void CommonPrefixLengthMatchesBigIntegerXor()
    {
        for (var i = 0; i < 200; i++)
        {
            var a = RandomId();
            var b = RandomId();
            var expected = 256 - (int)Distance(a, b).GetBitLength();
            Assert.Equal(expected, KadKey.FromKey(a).CommonPrefixLength(KadKey.FromKey(b)));
        }
    }

    [Fact]
    public void NearestPeersAreOrderedByXorDistance()
    {
        var table = new RoutingTable(RandomId(), 20, TimeProvider.System);
        var ids = Enumerable.Range(0, 300).Select(_ => RandomId()).ToList();
        foreach (var id in ids)
            table.TryAdd(id);
        var target = RandomId();

        var nearest = table.NearestPeers(KadKey.FromKey(target), 20);

        var stored = ids.Where(table.Contains).ToList();
        var expected = stored.OrderBy(id => Distance(id, target)).Take(20).Select(Convert.ToHexString);
        Assert.Equal(expected, nearest.Select(e => Convert.ToHexString(e.PeerId)));
    }

    [Fact]
    public void FullBucketOffersItsLeastRecentlySeenPeerForEviction()
    {
        var local = RandomId();
        var table = new RoutingTable(local, 2, TimeProvider.System);
        var localKey = KadKey.FromKey(local);
        // Peers sharing no prefix bit with us all land in bucket 0.
        var far = Enumerable.Range(0, 200).Select(_ => RandomId()).Where(id => localKey.CommonPrefixLength(KadKey.FromKey(id)) == 0).Take(3).ToList();

        Assert.Equal(RoutingAddOutcome.Added, table.TryAdd(far[0]).Outcome);
        Assert.Equal(RoutingAddOutcome.Added, table.TryAdd(far[1]).Outcome);
        table.MarkSeen(far[0]);
        var full = table.TryAdd(far[2]);

        Assert.Equal(RoutingAddOutcome.BucketFull, full.Outcome);
        Assert.Equal(far[1], full.LeastRecentlySeen!.PeerId);
        Assert.False(table.Contains(far[2]));

        Assert.True(table.Replace(far[1], far[2]));
        Assert.True(table.Contains(far[2]));
        Assert.False(table.Contains(far[1]));
    }

    [Fact]
    public void RejectsItselfAndRefreshesKnownPeers()
    {
        var local = RandomId();
        var table = new RoutingTable(local, 20, TimeProvider.System);
        var peer = RandomId();

        Assert.Equal(RoutingAddOutcome.Rejected, table.TryAdd(local).Outcome);
        Assert.Equal(RoutingAddOutcome.Added, table.TryAdd(peer).Outcome);
        Assert.Equal(RoutingAddOutcome.Refreshed, table.TryAdd(peer).Outcome);
        Assert.Equal(1, table.Count);
    }
}
