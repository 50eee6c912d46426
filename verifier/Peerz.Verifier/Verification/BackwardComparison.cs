using Peerz.Model.Adapters;
using Peerz.Protocol.Tensors;
using Peerz.Protocol.Wire;

namespace Peerz.Verifier.Verification;

/// <summary>
/// A backward answer against its recomputation, gradient by gradient: the input's, the deep prompts' (when the request
/// carried prompts) and each LoRA A and B matrix's (when it carried an adapter). The client applies every one of them, so
/// a provider that answers the input gradient right and poisons the prompt or adapter gradients is as wrong as one that
/// answers everything wrong. Each is measured with <see cref="Divergence.RelativeToLarger"/> (beyond the output
/// compression's rounding for the compressed ones); what the provider signed but cannot be decoded, or is missing, is
/// infinitely far. Gradients the request did not ask for are not compared: the client ignores them.
/// </summary>
public static class BackwardComparison
{
    /// <summary>Every compared gradient with its divergence, the input gradient first.</summary>
    public static IReadOnlyList<GradientDivergence> Divergences(RecomputedBackward expected, BackwardResponse? provided, TensorLimits limits)
    {
        var parts = new List<GradientDivergence> { new("the input gradient", Of(expected.Input, provided?.InputGradient, limits)) };
        if (expected.Prompts is { } prompts) parts.Add(new("the prompt gradient", Of(prompts, provided?.PromptGradient, limits)));
        if (expected.Adapter is { } adapter) parts.AddRange(OfAdapter(adapter, provided?.AdapterGradient));
        return parts;
    }

    /// <summary>
    /// The response the provider should have sent: its own (or an empty one when its bytes do not parse) with every
    /// compared gradient replaced by the recomputed one, encoded as the provider encodes it, and for a mixture of experts
    /// the routing the replay took — what an honest float32 provider answers, so an arbiter rebuilds the same bytes from
    /// the payload and the model.
    /// </summary>
    public static BackwardResponse Honest(RecomputedBackward expected, BackwardResponse? provided)
    {
        var honest = provided?.Clone() ?? new BackwardResponse();
        honest.InputGradient = expected.Input.Encoded;
        honest.Experts = ExpertChoicesCodec.Encode(expected.Input.Routing);
        if (expected.Prompts is { } prompts) honest.PromptGradient = prompts.Encoded;
        if (expected.Adapter is { } adapter) honest.AdapterGradient = LoraCodec.Encode(adapter);
        return honest;
    }

    private static double Of(Recomputed expected, SerializedTensor? provided, TensorLimits limits)
    {
        if (provided is null) return double.PositiveInfinity;
        try
        {
            return expected.GradientDivergenceOf(TensorCodec.Decode(provided, limits));
        }
        catch (Exception e) when (e is TensorFormatException or FormatException)
        {
            return double.PositiveInfinity;
        }
    }

    private static IEnumerable<GradientDivergence> OfAdapter(LoraAdapter expected, LoraTensors? provided)
    {
        LoraAdapter? decoded = null;
        try
        {
            decoded = provided is null ? null : LoraCodec.DecodeGradients(provided, expected);
        }
        catch (TensorFormatException)
        {
            // Another layout than the adapter sent (other blocks or modules, other shapes): nothing of it is usable.
        }
        if (decoded is null) return [new("the LoRA gradients", double.PositiveInfinity)];
        using (decoded)
        {
            return expected.Weights.Zip(decoded.Weights).SelectMany(pair => new GradientDivergence[]
            {
                new($"the LoRA gradient of block {pair.First.Block} {pair.First.Module} lora_A", Divergence.RelativeToLarger(pair.First.A, pair.Second.A)),
                new($"the LoRA gradient of block {pair.First.Block} {pair.First.Module} lora_B", Divergence.RelativeToLarger(pair.First.B, pair.Second.B)),
            }).ToList();
        }
    }
}
