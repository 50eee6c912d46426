using Peerz.Model.Configuration;
using static TorchSharp.torch;

namespace Peerz.Model.Blocks;

/// <summary>Rotary position embedding in HF's rotate-half layout, with optional llama3 frequency scaling.</summary>
public sealed class RotaryEmbedding : IDisposable
{
    private readonly Tensor _inverseFrequencies;

    public RotaryEmbedding(ModelConfig config)
    {
        InverseFrequencies = ComputeInverseFrequencies(config);
        _inverseFrequencies = tensor(InverseFrequencies.Select(f => (float)f).ToArray()).DetachFromDisposeScope();
    }

    /// <summary>inv_freq[i] = theta^(-2i/d), then the llama3 rule when configured.</summary>
    public double[] InverseFrequencies { get; }

    public static double[] ComputeInverseFrequencies(ModelConfig config)
    {
        var half = config.HeadDim / 2;
        var frequencies = new double[half];
        for (var i = 0; i < half; i++)
            frequencies[i] = 1.0 / Math.Pow(config.RopeTheta, 2.0 * i / config.HeadDim);
        return config.RopeScaling?.Apply(frequencies) ?? frequencies;
    }

    /// <summary>Rotates [batch, heads, length, headDim] queries or keys whose first position is <paramref name="startPosition"/>.</summary>
    public (Tensor Cos, Tensor Sin) Angles(int startPosition, long length, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var positions = arange(startPosition, startPosition + length, dtype: ScalarType.Float32);
        var angles = outer(positions, _inverseFrequencies);
        var doubled = cat([angles, angles], -1);
        return (doubled.cos().to_type(dtype).MoveToOuterDisposeScope(), doubled.sin().to_type(dtype).MoveToOuterDisposeScope());
    }

    /// <summary>Angles for N rows of one position each (row i at <paramref name="positions"/>[i]), shaped [N, 1, 1, headDim] to broadcast over heads.</summary>
    public (Tensor Cos, Tensor Sin) Angles(int[] positions, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        // The same elementwise ops as the contiguous overload, so a row's angles equal a single session's bit for bit.
        var angles = outer(tensor(positions.Select(p => (float)p).ToArray()), _inverseFrequencies);
        var doubled = cat([angles, angles], -1).unsqueeze(1).unsqueeze(1);
        return (doubled.cos().to_type(dtype).MoveToOuterDisposeScope(), doubled.sin().to_type(dtype).MoveToOuterDisposeScope());
    }

    public static Tensor Apply(Tensor x, Tensor cos, Tensor sin)
    {
        using var scope = NewDisposeScope();
        var half = x.shape[^1] / 2;
        var rotated = cat([-x.narrow(-1, half, half), x.narrow(-1, 0, half)], -1);
        return (x * cos + rotated * sin).MoveToOuterDisposeScope();
    }

    public void Dispose() => _inverseFrequencies.Dispose();
}
