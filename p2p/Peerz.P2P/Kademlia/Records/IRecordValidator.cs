namespace Peerz.P2P.Kademlia.Records;

/// <summary>
/// Validator and selector for one key namespace, as in libp2p (record/validator): Validate rejects
/// records that must not be stored or returned; Select picks the best of several valid records.
/// </summary>
public interface IRecordValidator
{
    /// <exception cref="InvalidRecordException">The record is not acceptable.</exception>
    void Validate(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value);

    /// <summary>Index of the best record among <paramref name="values"/> (all already validated).</summary>
    int Select(ReadOnlySpan<byte> key, IReadOnlyList<byte[]> values);
}
