using Peerz.Model.Adapters;
using Peerz.Model.Configuration;
using static TorchSharp.torch;

namespace Peerz.Testing;

/// <summary>Adapters as after some training: PEFT's initial A, and B drawn N(0, 0.1²) instead of zero, so gradients of A and B are both non-trivial.</summary>
public static class LoraTestAdapters
{
    public static LoraAdapter Trained(ModelConfig config, IReadOnlyList<string> modules, long seed, ScalarType dtype = ScalarType.Float32, int rank = 4, double alpha = 8)
    {
        using var fresh = LoraAdapter.Create(config, 0, config.NumLayers, modules, rank, alpha, seed);
        var generator = manual_seed(seed);
        return new LoraAdapter(fresh.Scaling, fresh.Weights.Select(w => w with
        {
            A = w.A.to_type(dtype).clone().DetachFromDisposeScope(),
            B = (randn(w.B.shape, dtype, generator: generator) * 0.1).DetachFromDisposeScope(),
        }).ToList());
    }
}
