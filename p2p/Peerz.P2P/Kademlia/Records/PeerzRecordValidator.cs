namespace Peerz.P2P.Kademlia.Records;

/// <summary>
/// Validator for the <c>/peerz/</c> namespace: the value must be a <see cref="PeerzSignedRecord"/> no
/// larger than the limit, correctly signed for this key, and not expired. Selection prefers the highest
/// sequence, then the latest expiry, so a publisher updates its record by bumping the sequence.
/// </summary>
public sealed class PeerzRecordValidator(TimeProvider time, int maxValueSize = PeerzRecordValidator.DefaultMaxValueSize) : IRecordValidator
{
    public const string Namespace = "peerz";
    public const int DefaultMaxValueSize = 16 * 1024;

    public void Validate(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        if (value.Length > maxValueSize)
            throw new InvalidRecordException($"Peerz record of {value.Length} bytes exceeds the {maxValueSize}-byte limit");
        var record = PeerzSignedRecord.Decode(value);
        if (record.ExpiresAt <= time.GetUtcNow())
            throw new InvalidRecordException($"Peerz record expired at {record.ExpiresAt:O}");
        if (!record.VerifySignature(key))
            throw new InvalidRecordException("Peerz record signature does not verify");
    }

    public int Select(ReadOnlySpan<byte> key, IReadOnlyList<byte[]> values)
    {
        var best = 0;
        var bestRecord = PeerzSignedRecord.Decode(values[0]);
        for (var i = 1; i < values.Count; i++)
        {
            var candidate = PeerzSignedRecord.Decode(values[i]);
            if (candidate.Sequence > bestRecord.Sequence
                || (candidate.Sequence == bestRecord.Sequence && candidate.ExpiresAt > bestRecord.ExpiresAt))
            {
                best = i;
                bestRecord = candidate;
            }
        }
        return best;
    }
}
