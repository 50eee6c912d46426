using System.Security.Cryptography;
using Microsoft.Extensions.Time.Testing;
using Peerz.P2P.Kademlia.Records;
using Peerz.P2P.Tests.Kademlia.Support;

namespace Peerz.P2P.Tests.Kademlia;

public sealed class PeerzRecordValidatorTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(Now);
    private readonly byte[] _seed = RandomNumberGenerator.GetBytes(32);
    private readonly byte[] _key = "/peerz/model/llama/block/3"u8.ToArray();

    private RecordValidatorRegistry Registry() =>
        new RecordValidatorRegistry().Add(PeerzRecordValidator.Namespace, new PeerzRecordValidator(_time, maxValueSize: 1024));

    private byte[] Sign(byte[] payload, ulong sequence = 1, TimeSpan? lifetime = null) =>
        PeerzSignedRecord.Create(Identity.FromSeed(_seed), _key, payload, sequence, Now + (lifetime ?? TimeSpan.FromHours(1))).Encode();

    [Fact]
    public void AcceptsAFreshSignedRecordAndRoundTripsIt()
    {
        var value = Sign([1, 2, 3], sequence: 5);
        Registry().Validate(_key, value);
        var decoded = PeerzSignedRecord.Decode(value);
        Assert.Equal([1, 2, 3], decoded.Payload);
        Assert.Equal(5UL, decoded.Sequence);
        Assert.Equal(Now + TimeSpan.FromHours(1), decoded.ExpiresAt);
    }

    [Fact]
    public void RejectsATamperedPayload()
    {
        var record = PeerzSignedRecord.Decode(Sign([1, 2, 3]));
        var tampered = (record with { Payload = [1, 2, 4] }).Encode();
        var error = Assert.Throws<InvalidRecordException>(() => Registry().Validate(_key, tampered));
        Assert.Contains("signature", error.Message);
    }

    [Fact]
    public void RejectsARecordReplayedUnderAnotherKey()
    {
        var value = Sign([1]);
        Assert.Throws<InvalidRecordException>(() => Registry().Validate("/peerz/model/llama/block/4"u8, value));
    }

    [Fact]
    public void RejectsExpiredRecords()
    {
        var value = Sign([1], lifetime: TimeSpan.FromMinutes(5));
        Registry().Validate(_key, value);
        _time.Advance(TimeSpan.FromMinutes(5));
        var error = Assert.Throws<InvalidRecordException>(() => Registry().Validate(_key, value));
        Assert.Contains("expired", error.Message);
    }

    [Fact]
    public void RejectsOversizedRecords()
    {
        var value = Sign(new byte[2000]);
        var error = Assert.Throws<InvalidRecordException>(() => Registry().Validate(_key, value));
        Assert.Contains("exceeds", error.Message);
    }

    [Theory]
    [InlineData("/other/key")]
    [InlineData("peerz/no-leading-slash")]
    [InlineData("/peerz")]
    public void RejectsKeysOutsideRegisteredNamespaces(string key)
    {
        var error = Assert.Throws<InvalidRecordException>(() => Registry().Validate(System.Text.Encoding.UTF8.GetBytes(key), Sign([1])));
        Assert.Contains("no validator", error.Message);
    }

    [Fact]
    public void RejectsGarbageValues()
    {
        var random = new Random(7);
        for (var i = 0; i < 2000; i++)
        {
            var garbage = new byte[random.Next(0, 200)];
            random.NextBytes(garbage);
            Assert.Throws<InvalidRecordException>(() => Registry().Validate(_key, garbage));
        }
    }

    [Fact]
    public void SelectsHighestSequenceThenLatestExpiry()
    {
        var registry = Registry();
        var older = Sign([1], sequence: 1, lifetime: TimeSpan.FromHours(5));
        var newer = Sign([2], sequence: 2, lifetime: TimeSpan.FromHours(1));
        var newerLonger = Sign([3], sequence: 2, lifetime: TimeSpan.FromHours(2));
        Assert.Equal(1, registry.Select(_key, [older, newer]));
        Assert.Equal(2, registry.Select(_key, [older, newer, newerLonger]));
    }
}
