using Peerz.Protocol.Tensors;
using Peerz.Protocol.Wire;
using static TorchSharp.torch;

namespace Peerz.Verifier.Verification;

/// <summary>
/// How far an output compression may move each value: half its rounding step there. Two honest results a few float32
/// ulps apart can round to neighbouring codes (a value near a rounding boundary), which moves one element by a whole
/// step: with blockwise int8 that is absmax/127 of its block, about 1e-3 of a 512-wide hidden state's norm from a single
/// element, as much as the whole float32 tolerance. <see cref="Divergence"/> therefore compares the provider's decoded
/// output with the verifier's exact (unencoded) result and does not count this much per element against it: an honest
/// encoding is within half a step of the provider's exact value, so what remains is the provider's computing error.
/// </summary>
public static class WireResolution
{
    /// <summary>
    /// Half a step of <paramref name="compression"/> at each value; null for uncompressed output. For blockwise int8 the
    /// step is the verifier's own block scale (absmax / 127 of <paramref name="exact"/>), never the provider's, so a
    /// provider cannot widen its allowance by choosing its scales. For float16 it is the spacing at the larger of the
    /// two values (an honest value just across a power of two is rounded on the coarser side).
    /// </summary>
    public static Tensor? HalfStep(Tensor exact, Tensor provided, TensorCompression compression) => compression switch
    {
        TensorCompression.None => null,
        // IEEE half: 10 fraction bits; below the smallest normal (2^-14) the spacing stays 2^-24.
        TensorCompression.Float16 => pow(2.0, maximum(exact.abs(), provided.abs()).to_type(ScalarType.Float32).clamp_min(Math.Pow(2, -14)).log2().floor() - 11),
        TensorCompression.BlockwiseInt8 => BlockwiseInt8Step(exact.to_type(ScalarType.Float32)) / 2,
        _ => throw new FormatException($"unknown compression {compression}"),
    };

    /// <summary>absmax / 127 of the block of <see cref="BlockwiseInt8.BlockSize"/> values (in flattened order) each value falls in.</summary>
    private static Tensor BlockwiseInt8Step(Tensor values)
    {
        var flat = values.flatten();
        var count = flat.shape[0];
        var block = BlockwiseInt8.BlockSize;
        var padded = nn.functional.pad(flat, [0, (block - count % block) % block]);
        var steps = padded.view(-1, block).abs().amax([1]) / 127.0;
        return steps.repeat_interleave(block).narrow(0, 0, count).view(values.shape);
    }
}
