using System.Security.Cryptography;
using Microsoft.Extensions.Time.Testing;
using Peerz.P2P.Kademlia.Records;
using Peerz.P2P.Tests.Kademlia.Support;

namespace Peerz.P2P.Tests.Kademlia;

public sealed class RecordStoreTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(Now);
    private readonly byte[] _seed = RandomNumberGenerator.GetBytes(32);

    private RecordStore Store(int maxRecords = 10) => new(
        new RecordValidatorRegistry().Add(PeerzRecordValidator.Namespace, new PeerzRecordValidator(_time)),
        _time, TimeSpan.FromHours(1), maxRecords);

    private byte[] Sign(string key, ulong sequence) =>
        PeerzSignedRecord.Create(Identity.FromSeed(_seed), System.Text.Encoding.UTF8.GetBytes(key), [(byte)sequence], sequence, Now + TimeSpan.FromDays(2)).Encode();

    [Fact]
    public void KeepsTheSelectorsBestRecord()
    {
        var store = Store();
        var key = "/peerz/a"u8.ToArray();
        Assert.True(store.Put(key, Sign("/peerz/a", 2)));
        Assert.False(store.Put(key, Sign("/peerz/a", 1)));
        Assert.Equal([2], PeerzSignedRecord.Decode(store.Get(key)!.Value).Payload);
        Assert.True(store.Put(key, Sign("/peerz/a", 3)));
        Assert.Equal([3], PeerzSignedRecord.Decode(store.Get(key)!.Value).Payload);
    }

    [Fact]
    public void ForgetsRecordsAfterTheTtl()
    {
        var store = Store();
        var key = "/peerz/a"u8.ToArray();
        store.Put(key, Sign("/peerz/a", 1));
        _time.Advance(TimeSpan.FromMinutes(59));
        Assert.NotNull(store.Get(key));
        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.Null(store.Get(key));
    }

    [Fact]
    public void RefusesNewKeysWhenFullUntilSomethingExpires()
    {
        var store = Store(maxRecords: 2);
        Assert.True(store.Put("/peerz/a"u8.ToArray(), Sign("/peerz/a", 1)));
        Assert.True(store.Put("/peerz/b"u8.ToArray(), Sign("/peerz/b", 1)));
        Assert.False(store.Put("/peerz/c"u8.ToArray(), Sign("/peerz/c", 1)));
        _time.Advance(TimeSpan.FromHours(1));
        Assert.True(store.Put("/peerz/c"u8.ToArray(), Sign("/peerz/c", 1)));
    }

    [Fact]
    public void RejectsInvalidRecords() =>
        Assert.Throws<InvalidRecordException>(() => Store().Put("/peerz/a"u8.ToArray(), Sign("/peerz/b", 1)));
}
