using Peerz.Protocol.Wire;
using static TorchSharp.torch;

namespace Peerz.Verifier.Verification;

/// <summary>
/// A recomputed output: <paramref name="Exact"/> as computed (float32, before any output compression) and
/// <paramref name="Encoded"/> exactly as an honest provider would have sent it (its output compression), so the encoding
/// can go into the recomputed response. The provider's output is compared with <paramref name="Exact"/>, allowing half
/// the compression's step per value (<see cref="WireResolution"/>), so codec rounding is not counted as a difference.
/// </summary>
public sealed record Recomputed(SerializedTensor Encoded, Tensor Exact)
{
    /// <summary>
    /// The smallest mixture-of-experts routing margin of the tokens this output depends on (<see cref="Model.Blocks.RouterMargins"/>);
    /// +∞ for dense models. Near a tie, an honest provider's rounding may route a token to another expert than the
    /// verifier's own routing does: why providers sign their routing. No verdict reads it (signed routing is judged by
    /// <see cref="RoutingDeficit"/>); it measures how close a replay came to a flip (docs/verification.md).
    /// </summary>
    public double RouterMargin { get; init; } = double.PositiveInfinity;

    /// <summary>
    /// Mixture-of-experts models: the experts the replay routed these tokens to (the provider's signed choices where they were
    /// accepted, the verifier's own elsewhere, or the verifier's own throughout when nothing was signed); null for dense models.
    /// </summary>
    public Model.Blocks.RoutedExperts? Routing { get; init; }

    /// <summary>
    /// When replaying a signed routing: the largest, over these tokens and the span's blocks, of how far the provider's
    /// experts were from the verifier's own top-k (the best expert left out minus the worst one taken, in router
    /// probability; 0 when every choice is a top-k). At or beyond the near-tie margin the provider routed a token to an
    /// expert no rounding explains (<see cref="Model.Blocks.ExpertRouting.Follow"/>).
    /// </summary>
    public double RoutingDeficit { get; init; }

    /// <summary>
    /// Whether some token's expert choice was within <paramref name="margin"/> of flipping
    /// (<see cref="VerificationTolerances.RouterMarginFor"/>; measured honest flips and margins are in docs/verification.md).
    /// </summary>
    public bool RoutedAtNearTie(double margin) => RouterMargin < margin;

    /// <summary>How far the provider's decoded output is from this one beyond the codec's rounding (relative L2).</summary>
    public double DivergenceOf(Tensor provided) => Compare(provided, Divergence.Relative);

    /// <summary>
    /// How far the provider's decoded gradient is from this one beyond the codec's rounding, relative to the larger of
    /// the two norms (<see cref="Divergence.RelativeToLarger"/>: a gradient may honestly be exactly zero).
    /// </summary>
    public double GradientDivergenceOf(Tensor provided) => Compare(provided, Divergence.RelativeToLarger);

    private double Compare(Tensor provided, Func<Tensor, Tensor, Tensor?, double> statistic)
    {
        if (!Exact.shape.SequenceEqual(provided.shape)) return double.PositiveInfinity;
        using var scope = NewDisposeScope();
        return statistic(Exact, provided, WireResolution.HalfStep(Exact, provided, Encoded.Compression));
    }
}
