using Peerz.Protocol.Tensors;
using Peerz.Protocol.Wire;
using Peerz.Verifier.Verification;
using static TorchSharp.torch;

namespace Peerz.Verifier.Tests;

/// <summary>
/// Output compression must not turn an honest last-bit difference into a slash: a value a few ulps from the
/// verifier's, on the other side of a rounding boundary, is encoded one whole step away. The verifier compares the
/// provider's decoded output with its exact result less half a step per value, so that flip costs nothing, while a
/// perturbation beyond the codec's rounding is still counted.
/// </summary>
public sealed class WireResolutionTests
{
    private const double Float32Tolerance = 1e-3;

    [Theory]
    [InlineData(TensorCompression.BlockwiseInt8)]
    [InlineData(TensorCompression.Float16)]
    public void A_value_rounded_across_a_code_boundary_is_not_counted(TensorCompression compression)
    {
        using var scope = NewDisposeScope();
        var exact = randn([1, 1, 128], generator: new Generator(3)).clamp(-2.5, 2.5);
        exact[0, 0, 1] = tensor(3f); // the block's absmax: int8 step 3/127
        var boundary = compression == TensorCompression.BlockwiseInt8 ? 10.5 * (3f / 127f) : 1 + Math.Pow(2, -11); // halfway between two codes
        exact[0, 0, 0] = tensor((float)(boundary * (1 - 1e-6)));
        var honest = exact.clone();
        honest[0, 0, 0] = tensor((float)(boundary * (1 + 1e-6))); // 2e-6 away: a different kernel's last bits
        var provided = TensorCodec.Decode(TensorCodec.Encode(honest, compression), TensorLimits.Default);
        var recomputed = new Recomputed(TensorCodec.Encode(exact, compression), exact);

        var codeToCode = Divergence.Relative(TensorCodec.Decode(recomputed.Encoded, TensorLimits.Default), provided);
        Assert.True(codeToCode > 0, "the two values must land on different codes");
        if (compression == TensorCompression.BlockwiseInt8)
            Assert.True(codeToCode > Float32Tolerance, $"comparing codes, one flipped int8 value is {codeToCode:G3}, above the float32 tolerance");
        Assert.True(recomputed.DivergenceOf(provided) < 1e-6, $"beyond the codec's rounding: {recomputed.DivergenceOf(provided):G3}");
    }

    [Theory]
    [InlineData(TensorCompression.None)]
    [InlineData(TensorCompression.BlockwiseInt8)]
    [InlineData(TensorCompression.Float16)]
    public void A_perturbation_beyond_the_codec_rounding_is_counted(TensorCompression compression)
    {
        using var scope = NewDisposeScope();
        var exact = randn([1, 4, 512], generator: new Generator(5));
        var recomputed = new Recomputed(TensorCodec.Encode(exact, compression), exact);
        // 5% relative noise: above every tolerance but the loosest, and well beyond half an int8 step of unit-scale values.
        var tampered = exact + 0.05 * randn([1, 4, 512], generator: new Generator(6));
        var divergence = recomputed.DivergenceOf(TensorCodec.Decode(TensorCodec.Encode(tampered, compression), TensorLimits.Default));
        Assert.True(divergence > 0.02, $"{compression}: {divergence:G3}");
    }
}
