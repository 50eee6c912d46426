using Peerz.Model.Blocks;
using Peerz.Model.Configuration;
using Peerz.Protocol.Wire;

namespace Peerz.Protocol.Tensors;

/// <summary>
/// A span's expert choices (<see cref="RoutedExperts"/>) to and from the wire. Decoding checks them against the model
/// and the tokens they claim to route, and names the first problem: a signed routing that does not fit is something no
/// honest provider sends.
/// </summary>
public static class ExpertChoicesCodec
{
    /// <summary>Bytes an <see cref="ExpertChoices"/> for <paramref name="tokens"/> tokens through <paramref name="blocks"/> blocks takes at most (indices below 2^14 take 2 bytes as varints).</summary>
    public static long MaxBytes(ModelConfig config, long blocks, long tokens)
    {
        ArgumentNullException.ThrowIfNull(config);
        return config.IsMixtureOfExperts ? 32 + (blocks * tokens * config.ExpertsPerToken * (config.NumExperts <= 128 ? 1 : 2)) : 0;
    }

    public static ExpertChoices? Encode(RoutedExperts? routed)
    {
        if (routed is null) return null;
        var message = new ExpertChoices { Blocks = (uint)routed.Blocks, Batch = (uint)routed.Batch, Positions = (uint)routed.Positions, PerToken = (uint)routed.PerToken };
        message.Experts.AddRange(routed.Experts.Select(e => (uint)e));
        return message;
    }

    /// <summary>
    /// The routing of <paramref name="batch"/> × <paramref name="positions"/> tokens through <paramref name="blocks"/> blocks
    /// of a model of <paramref name="config"/>: every count as stated, every index below the model's experts, no expert
    /// twice for one token. Anything else is a <see cref="FormatException"/> naming the problem.
    /// </summary>
    public static RoutedExperts Decode(ExpertChoices message, ModelConfig config, int blocks, long batch, long positions)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(config);
        if (message.Blocks != blocks || message.Batch != batch || message.Positions != positions || message.PerToken != config.ExpertsPerToken)
            throw new FormatException($"expert choices for {message.Blocks} blocks × [{message.Batch}, {message.Positions}] tokens × {message.PerToken}; the output is {blocks} blocks × [{batch}, {positions}] × {config.ExpertsPerToken}");
        var k = config.ExpertsPerToken;
        if (message.Experts.Count != blocks * batch * positions * k)
            throw new FormatException($"{message.Experts.Count} expert indices; {blocks} blocks × {batch * positions} tokens × {k} need {blocks * batch * positions * k}");
        var experts = new int[message.Experts.Count];
        for (var token = 0; token < experts.Length; token += k)
        {
            for (var j = token; j < token + k; j++)
            {
                var expert = message.Experts[j];
                if (expert >= config.NumExperts) throw new FormatException($"expert index {expert} is not one of the model's {config.NumExperts} experts");
                for (var other = token; other < j; other++)
                {
                    if (experts[other] == expert) throw new FormatException($"a token is routed to expert {expert} twice");
                }
                experts[j] = (int)expert;
            }
        }
        return new(blocks, (int)batch, (int)positions, k, experts);
    }
}
