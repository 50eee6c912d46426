using Peerz.Chain.Crypto;

namespace Peerz.Chain.Abi;

/// <summary>A contract event: topic 0 and log decoding.</summary>
public sealed record AbiEvent(string Name, IReadOnlyList<AbiParameter> Inputs, bool Anonymous = false)
{
    public string Signature => AbiSignature.Format(Name, Inputs.Select(p => p.Type));

    public byte[] Topic => Keccak.Hash(Signature);

    /// <summary>
    /// Decodes a log into parameter name → value. Indexed static values come from topics; indexed dynamic values
    /// (strings, bytes, arrays, tuples) are only present as their Keccak-256 hash (byte[32]), as the EVM stores them.
    /// </summary>
    public IReadOnlyDictionary<string, object?> DecodeLog(IReadOnlyList<byte[]> topics, ReadOnlySpan<byte> data)
    {
        ArgumentNullException.ThrowIfNull(topics);
        var indexed = Inputs.Where(p => p.Indexed).ToArray();
        var firstIndexedTopic = Anonymous ? 0 : 1;
        if (topics.Count != firstIndexedTopic + indexed.Length)
        {
            throw new AbiException($"{Signature} expects {firstIndexedTopic + indexed.Length} topics, the log has {topics.Count}.");
        }

        if (!Anonymous && !topics[0].AsSpan().SequenceEqual(Topic))
        {
            throw new AbiException($"Log topic 0 is not the topic of {Signature}.");
        }

        var result = new Dictionary<string, object?>();
        var topicIndex = firstIndexedTopic;
        foreach (var parameter in indexed)
        {
            var topic = topics[topicIndex++];
            if (topic.Length != 32)
            {
                throw new AbiException($"Topic for '{parameter.Name}' is {topic.Length} bytes, not 32.");
            }

            result[parameter.Name] = parameter.Type.IsDynamic || parameter.Type is AbiTuple or AbiArray
                ? topic
                : AbiCodec.Decode(parameter.Type, topic);
        }

        var nonIndexed = Inputs.Where(p => !p.Indexed).ToArray();
        var values = AbiCodec.Decode(nonIndexed.Select(p => p.Type).ToArray(), data);
        for (var i = 0; i < nonIndexed.Length; i++)
        {
            result[nonIndexed[i].Name] = values[i];
        }

        return result;
    }
}
