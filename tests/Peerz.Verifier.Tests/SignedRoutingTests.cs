using Peerz.Model.Blocks;
using Peerz.Model.Configuration;
using Peerz.Protocol.Tensors;
using Peerz.Protocol.Wire;
using Peerz.Verifier.Verification;

namespace Peerz.Verifier.Tests;

/// <summary>
/// Which routing the verifier replays a payload with: the signed one when every response signed choices that fit, the
/// verifier's own when any is missing (judged without the near-tie excuse), and a malformed one is named (a mismatch).
/// </summary>
public sealed class SignedRoutingTests
{
    private static readonly ModelConfig Mixtral = new() { ModelType = "mixtral", NumExperts = 8, ExpertsPerToken = 2, HiddenSize = 64, IntermediateSize = 128, NumLayers = 4, NumHeads = 4, NumKeyValueHeads = 2, VocabSize = 256 };
    private static readonly SerializedTensor Prompt = new() { Shape = { 1, 3, 64 } };
    private static readonly SerializedTensor Token = new() { Shape = { 1, 1, 64 } };

    private static ExpertChoices Choices(int positions, params int[] experts) => ExpertChoicesCodec.Encode(new RoutedExperts(2, 1, positions, 2, experts))!;

    private static readonly ExpertChoices PromptChoices = Choices(3, 0, 1, 2, 3, 4, 5, 6, 7, 0, 2, 1, 3);
    private static readonly ExpertChoices TokenChoices = Choices(1, 5, 4, 3, 2);

    [Fact]
    public void Every_response_signing_choices_that_fit_gives_the_signed_routing()
    {
        var signed = SignedRouting.FromResponses([(PromptChoices, Prompt), (TokenChoices, Token)], Mixtral, 2, 0.06, out var malformed);
        Assert.Null(malformed);
        Assert.NotNull(signed);
        Assert.Equal(0.06, signed.Slack);
        Assert.Equal([3, 1], signed.Steps.Select(s => s.Positions));
        Assert.Equal([5, 4, 3, 2], signed.Steps[1].Experts);
    }

    [Fact]
    public void A_response_without_choices_means_the_verifiers_own_routing()
    {
        Assert.Null(SignedRouting.FromResponses([(PromptChoices, Prompt), (null, Token)], Mixtral, 2, 0.06, out var malformed));
        Assert.Null(malformed);
    }

    [Fact]
    public void Choices_that_do_not_fit_their_step_are_named()
    {
        // Step 1 signs the prompt's three positions for its one token.
        Assert.Null(SignedRouting.FromResponses([(PromptChoices, Prompt), (PromptChoices, Token)], Mixtral, 2, 0.06, out var malformed));
        Assert.Equal(1, malformed?.Step);
        Assert.Contains("do not fit", malformed?.Problem);
        Assert.Null(SignedRouting.FromResponses([(Choices(1, 5, 5, 3, 2), Token)], Mixtral, 2, 0.06, out malformed));
        Assert.Equal(0, malformed?.Step);
    }

    [Fact]
    public void A_dense_model_has_no_routing_to_sign()
    {
        var llama = Mixtral with { ModelType = "llama", NumExperts = 0, ExpertsPerToken = 0 };
        Assert.Null(SignedRouting.FromResponses([(null, Token)], llama, 2, 1e-3, out var malformed));
        Assert.Null(malformed);
    }
}
