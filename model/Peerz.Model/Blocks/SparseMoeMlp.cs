using Peerz.Model.Adapters;
using Peerz.Model.Checkpoints;
using Peerz.Model.Configuration;
using static TorchSharp.torch;

namespace Peerz.Model.Blocks;

/// <summary>
/// Mixtral's sparse mixture-of-experts MLP (Hugging Face's MixtralSparseMoeBlock): a router (gate, hidden → experts,
/// no bias) scores every expert, softmax in float32, each token keeps its top-k experts with their probabilities
/// renormalised to sum to 1, and the output is Σ weight_k · expert_k(x), each expert a SwiGLU w2(silu(w1 x) · w3 x).
/// Every expert is loaded: which ones a token needs is known only once it arrives. A LoRA adapter may adapt each expert's
/// projections (modules experts.{e}.w1 …); the router is never adapted, so routing depends on the block's input only.
/// </summary>
/// <remarks>
/// The router stays unquantized and runs in float32 whatever the compute dtype: an expert choice decided by a near-tie
/// flips under rounding noise and changes that token's output by a whole expert's contribution (docs/verification.md),
/// so the router gets the least noise we can give it for a few KB per block.
/// </remarks>
internal sealed class SparseMoeMlp : IFeedForward
{
    private readonly Tensor _router;
    private readonly IReadOnlyList<SwiGluMlp> _experts;
    private readonly int _perToken;

    private SparseMoeMlp(Tensor router, IReadOnlyList<SwiGluMlp> experts, int perToken)
    {
        _router = router.DetachFromDisposeScope();
        _experts = experts;
        _perToken = perToken;
    }

    public static SparseMoeMlp Load(Checkpoint checkpoint, ModelConfig config, string prefix, BlockLoadOptions options)
    {
        var experts = new List<SwiGluMlp>(config.NumExperts);
        try
        {
            for (var e = 0; e < config.NumExperts; e++)
            {
                // The expert's weights are {prefix}experts.{e}.w1.weight …, the LoRA module names experts.{e}.w1 … (PEFT's).
                var names = new SwiGluMlp.Names(LoraModules.ExpertModule(e, "w1"), LoraModules.ExpertModule(e, "w3"), LoraModules.ExpertModule(e, "w2"));
                experts.Add(SwiGluMlp.Load(checkpoint, config, prefix, names, options));
            }
            var router = checkpoint.Load(prefix + "gate.weight", config.NumExperts, config.HiddenSize).MoveToDType(ScalarType.Float32);
            return new SparseMoeMlp(router, experts, config.ExpertsPerToken);
        }
        catch
        {
            foreach (var expert in experts) expert.Dispose();
            throw;
        }
    }

    public long WeightBytes => _router.NumberOfElements * _router.ElementSize + _experts.Sum(e => e.WeightBytes);

    public Tensor Forward(Tensor input, BlockLora? lora = null)
    {
        using var scope = NewDisposeScope();
        var shape = input.shape;
        var tokens = input.reshape(-1, shape[^1]);
        var (weights, chosen) = Route(tokens, shape[..^1]);
        weights = weights.to_type(input.dtype);
        var output = zeros_like(tokens);
        for (var e = 0; e < _experts.Count; e++)
        {
            // Rows routed to expert e, and the weight each gives it (a token picks an expert at most once).
            var picked = chosen.eq(e);
            var rows = picked.any(1).nonzero().squeeze(1);
            if (rows.shape[0] == 0) continue;
            var weight = (weights * picked).sum(1).index_select(0, rows).unsqueeze(1);
            output = output.index_add(0, rows, _experts[e].Forward(tokens.index_select(0, rows), lora) * weight, 1);
        }
        return output.reshape(shape).MoveToOuterDisposeScope();
    }

    /// <summary>The top-k experts of each token ([tokens, k] indices) and their renormalised float32 weights; the tokens' margins go to an observing <see cref="RouterMargins"/> in <paramref name="shape"/>.</summary>
    private (Tensor Weights, Tensor Chosen) Route(Tensor tokens, long[] shape)
    {
        var dtype = Precision.AtLeastFloat32(tokens.dtype);
        var probabilities = nn.functional.softmax(nn.functional.linear(tokens.to_type(dtype), dtype == _router.dtype ? _router : _router.to_type(dtype)), 1);
        if (RouterMargins.IsObserving && _perToken < _experts.Count)
        {
            // The gap between the last chosen expert and the first one left out: how far this token is from a flip.
            var ranked = probabilities.topk(_perToken + 1, dim: 1).values;
            RouterMargins.Record((ranked.select(1, _perToken - 1) - ranked.select(1, _perToken)).reshape(shape));
        }
        var (top, chosen) = probabilities.topk(_perToken, dim: 1);
        if (ExpertRouting.Current is { } routing)
        {
            var tokenShape = shape.ToArray();
            if (routing.NextGiven(tokenShape, _perToken) is { } given)
                (top, chosen) = Follow(probabilities, given.reshape(-1, _perToken), routing, tokenShape, top, chosen);
            else
                routing.Took(chosen.reshape([.. tokenShape, _perToken]), null);
        }
        return (top / top.sum(1, keepdim: true), chosen);
    }

    /// <summary>
    /// The given experts of each token where they are within the routing's slack of a top-k, else the router's own
    /// (<paramref name="top"/>, <paramref name="chosen"/>), with their probabilities; records what was taken and how far
    /// each token's given experts were from a top-k.
    /// </summary>
    private (Tensor Top, Tensor Chosen) Follow(Tensor probabilities, Tensor given, ExpertRouting routing, long[] tokenShape, Tensor top, Tensor chosen)
    {
        given = given.to_type(ScalarType.Int64);
        if (given.numel() > 0 && (given.min().item<long>() < 0 || given.max().item<long>() >= _experts.Count))
            throw new ArgumentException($"a given expert index is outside [0, {_experts.Count})");
        var sorted = given.sort(1).Values;
        if (_perToken > 1 && sorted.narrow(1, 1, _perToken - 1).eq(sorted.narrow(1, 0, _perToken - 1)).any().item<bool>())
            throw new ArgumentException("a token is given the same expert twice");
        var kept = probabilities.gather(1, given);
        // Probabilities are ≥ 0, so −1 marks the given experts out of the running for "best left out".
        var leftOut = probabilities.scatter(1, given, full_like(kept, -1.0)).max(1).values;
        var deficit = (leftOut - kept.min(1).values).clamp_min(0);
        var accepted = deficit.lt(routing.Slack).unsqueeze(1);
        chosen = where(accepted, given, chosen);
        top = where(accepted, kept, top);
        routing.Took(chosen.reshape([.. tokenShape, _perToken]), deficit.reshape(tokenShape));
        return (top, chosen);
    }

    public void Dispose()
    {
        _router.Dispose();
        foreach (var expert in _experts) expert.Dispose();
    }
}
