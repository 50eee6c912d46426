
namespace Peerz.P2P.Kademlia.Records;

/// <summary>
/// Dispatches to a validator by the key's namespace: keys look like <c>/namespace/rest</c>. Keys in a
/// namespace without a validator are rejected, as libp2p does, so arbitrary data cannot be parked in the DHT.
/// </summary>
public sealed class RecordValidatorRegistry
{
    private readonly Dictionary<string, IRecordValidator> _validators = new(StringComparer.Ordinal);

    public RecordValidatorRegistry Add(string @namespace, IRecordValidator validator)
    {
        _validators[@namespace] = validator;
        return this;
    }

    public void Validate(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) => For(key).Validate(key, value);

    public int Select(ReadOnlySpan<byte> key, IReadOnlyList<byte[]> values) =>
        values.Count == 1 ? 0 : For(key).Select(key, values);

    private IRecordValidator For(ReadOnlySpan<byte> key)
    {
        var ns = Namespace(key);
        return ns is not null && _validators.TryGetValue(ns, out var validator)
            ? validator
            : throw new InvalidRecordException($"no validator for the namespace of key '{System.Text.Encoding.UTF8.GetString(key[..Math.Min(key.Length, 64)])}'");
    }

    private static string? Namespace(ReadOnlySpan<byte> key)
    {
        if (key.Length < 2 || key[0] != (byte)'/')
            return null;
        var end = key[1..].IndexOf((byte)'/');
        return end <= 0 ? null : System.Text.Encoding.UTF8.GetString(key.Slice(1, end));
    }
}
