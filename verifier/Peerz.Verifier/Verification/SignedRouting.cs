using Peerz.Model.Blocks;
using Peerz.Model.Configuration;
using Peerz.Protocol.Tensors;
using Peerz.Protocol.Wire;

namespace Peerz.Verifier.Verification;

/// <summary>
/// The expert choices a mixture-of-experts provider signed with each step's output (<see cref="Steps"/>, one per step, for
/// that step's tokens), replayed by the verifier: a token keeps the provider's experts where they are within
/// <see cref="Slack"/> of the verifier's own top-k (a near-tie, which honest rounding may fall either side of), and takes
/// the verifier's own otherwise (and the step is a mismatch: <see cref="Recomputed.RoutingDeficit"/>).
/// </summary>
public sealed record SignedRouting(IReadOnlyList<RoutedExperts> Steps, double Slack)
{
    /// <summary>
    /// The routing the responses of one receipt's payload signed, each for the tokens of its input, through
    /// <paramref name="blocks"/> blocks of a model of <paramref name="config"/>. Null — replay with the verifier's own
    /// routing — for a dense model, when some response signed none, or when an input is not [batch, positions, hidden]
    /// (the recomputation finds that not checkable). <paramref name="malformed"/> names the first response whose choices
    /// do not fit its tokens or the model: something no honest provider signs.
    /// </summary>
    public static SignedRouting? FromResponses(IReadOnlyList<(ExpertChoices? Choices, SerializedTensor? Input)> responses, ModelConfig config, int blocks, double slack,
        out (int Step, string Problem)? malformed)
    {
        ArgumentNullException.ThrowIfNull(responses);
        ArgumentNullException.ThrowIfNull(config);
        malformed = null;
        if (!config.IsMixtureOfExperts) return null;
        var routed = new List<RoutedExperts>(responses.Count);
        for (var i = 0; i < responses.Count; i++)
        {
            var (choices, input) = responses[i];
            if (input is null || input.Shape.Count != 3) return null;
            if (choices is null) continue;
            try
            {
                routed.Add(ExpertChoicesCodec.Decode(choices, config, blocks, input.Shape[0], input.Shape[1]));
            }
            catch (FormatException e)
            {
                malformed = (i, $"the signed expert choices do not fit the tokens: {e.Message}");
                return null;
            }
        }
        return routed.Count == responses.Count ? new SignedRouting(routed, slack) : null;
    }
}
