using Peerz.Protocol.Tensors;
using Peerz.Protocol.Wire;
using static TorchSharp.torch;

namespace Peerz.Verifier.Verification;

/// <summary>
/// The rounding step of an output compression at each value of a tensor: how far apart two neighbouring encodable
/// values are there. Two honest results a few float32 ulps apart can round to neighbouring codes (a value near a
/// rounding boundary), which moves one element by a whole step: with blockwise int8 that is absmax/127 of its block,
/// about 1e-3 of a 512-wide hidden state's norm from a single element. <see cref="Divergence"/> therefore does not count
/// up to one step per element against the provider: the codec's resolution is what the client asked for, not what the
/// provider computed.
/// </summary>
public static class WireResolution
{
    /// <summary>
    /// One step of <paramref name="compression"/> at each value of <paramref name="exact"/> (the verifier's own float32
    /// result, never the provider's encoding, so a provider cannot widen its allowance by choosing its scales); zero
    /// for uncompressed output.
    /// </summary>
    public static Tensor? Of(Tensor exact, TensorCompression compression)
    {
        var values = exact.to_type(ScalarType.Float32);
        return compression switch
        {
            TensorCompression.None => null,
            // IEEE half: 10 fraction bits; below the smallest normal (2^-14) the spacing stays 2^-24.
            TensorCompression.Float16 => pow(2.0, values.abs().clamp_min(Math.Pow(2, -14)).log2().floor() - 10),
            TensorCompression.BlockwiseInt8 => BlockwiseInt8Step(values),
            _ => throw new FormatException($"unknown compression {compression}"),
        };
    }

    /// <summary>absmax / 127 of the block of <see cref="TensorCodec.QuantizationBlockSize"/> values (in flattened order) each value falls in.</summary>
    private static Tensor BlockwiseInt8Step(Tensor values)
    {
        var flat = values.flatten();
        var count = flat.shape[0];
        var block = TensorCodec.QuantizationBlockSize;
        var padded = nn.functional.pad(flat, [0, (block - count % block) % block]);
        var steps = padded.view(-1, block).abs().amax([1]) / 127.0;
        return steps.repeat_interleave(block).narrow(0, 0, count).view(values.shape);
    }
}
