using Peerz.Model.Configuration;
using static TorchSharp.torch;

namespace Peerz.Model.Adapters;

/// <summary>
/// LoRA weights for some projections of some blocks, with one scaling (lora_alpha / r) for all of them. The same
/// shape holds their gradients after a backward pass. Owns its tensors.
/// </summary>
public sealed class LoraAdapter : IDisposable
{
    /// <summary>Largest rank accepted; PEFT's common ranks are 4–64, and a larger one defeats the point of low rank.</summary>
    public const int MaxRank = 256;

    private readonly Dictionary<int, BlockLora> _byBlock;

    public LoraAdapter(double scaling, IReadOnlyList<LoraWeight> weights)
    {
        if (!double.IsFinite(scaling))
            throw new ArgumentException($"LoRA scaling must be finite, got {scaling}");
        Scaling = scaling;
        Weights = weights;
        // A repeated (block, module) keeps its first entry here; Validate refuses such an adapter by name.
        _byBlock = weights.GroupBy(w => w.Block).ToDictionary(g => g.Key, g =>
        {
            var layers = new Dictionary<string, LoraLayer>();
            foreach (var w in g) layers.TryAdd(w.Module, new LoraLayer(w.A, w.B, scaling));
            return new BlockLora(layers);
        });
    }

    public double Scaling { get; }

    /// <summary>Ordered as given: by block, then by module for adapters built by <see cref="Create"/>.</summary>
    public IReadOnlyList<LoraWeight> Weights { get; }

    public int Rank => Weights.Count == 0 ? 0 : (int)Weights[0].A.shape[0];

    /// <summary>Memory the weights take.</summary>
    public long Bytes => Weights.Sum(w => (w.A.NumberOfElements * w.A.ElementSize) + (w.B.NumberOfElements * w.B.ElementSize));

    /// <summary>
    /// A fresh adapter for <paramref name="modules"/> (targets: an expert projection adapts every expert) as PEFT initialises one: A from Kaiming-uniform (a = √5, i.e. U(-1/√in, 1/√in)), B zero, so the
    /// adapted model starts equal to the base model. Deterministic for a seed.
    /// </summary>
    public static LoraAdapter Create(ModelConfig config, int start, int end, IReadOnlyList<string> modules, int rank, double alpha, long seed)
    {
        if (rank < 1 || rank > MaxRank) throw new ArgumentOutOfRangeException(nameof(rank), $"LoRA rank must be in [1, {MaxRank}], got {rank}");
        var generator = new Generator((ulong)seed);
        var weights = new List<LoraWeight>();
        for (var block = start; block < end; block++)
        {
            foreach (var module in LoraModules.Expand(config, modules))
            {
                var (input, output) = LoraModules.Shape(config, module);
                var bound = 1.0 / Math.Sqrt(input);
                var a = (rand([rank, input], ScalarType.Float32, generator: generator) * (2 * bound) - bound).DetachFromDisposeScope();
                weights.Add(new LoraWeight(block, module, a, zeros([output, rank], ScalarType.Float32).DetachFromDisposeScope()));
            }
        }
        var adapter = new LoraAdapter(alpha / rank, weights);
        try
        {
            adapter.Validate(config, start, end);
            return adapter;
        }
        catch
        {
            adapter.Dispose();
            throw;
        }
    }

    /// <summary>This block's layers, or null when the adapter does not touch it.</summary>
    internal BlockLora? ForBlock(int block) => _byBlock.GetValueOrDefault(block);

    /// <summary>Copies of the weights of blocks [start, end) only (what one hop of a route needs), owned by the result.</summary>
    public LoraAdapter Slice(int start, int end) =>
        new(Scaling, Weights.Where(w => w.Block >= start && w.Block < end).Select(w => w with { A = w.A.clone().DetachFromDisposeScope(), B = w.B.clone().DetachFromDisposeScope() }).ToList());

    /// <summary>
    /// Throws <see cref="ArgumentException"/> unless every weight belongs to a block of [start, end) and a projection the
    /// model has, with shapes A [r, in] and B [out, r] for one rank r ≤ <see cref="MaxRank"/>, floating point, and at most one
    /// entry per (block, module).
    /// </summary>
    public void Validate(ModelConfig config, int start, int end)
    {
        var seen = new HashSet<(int, string)>();
        var rank = Rank;
        if (Weights.Count > 0 && (rank < 1 || rank > MaxRank))
            throw new ArgumentException($"LoRA rank must be in [1, {MaxRank}], got {rank}");
        foreach (var w in Weights)
        {
            var where = $"LoRA weight for block {w.Block} {w.Module}";
            if (w.Block < start || w.Block >= end)
                throw new ArgumentException($"{where}: block {w.Block} is not in blocks [{start}, {end})");
            if (!LoraModules.Supports(config, w.Module))
                throw new ArgumentException($"{where}: unknown target module for {config.ModelType} blocks; known: {Known(config)}");
            if (!seen.Add((w.Block, w.Module)))
                throw new ArgumentException($"{where}: given twice");
            var (input, output) = LoraModules.Shape(config, w.Module);
            if (!w.A.is_floating_point() || !w.B.is_floating_point())
                throw new ArgumentException($"{where}: tensors must be floating point, got {w.A.dtype} and {w.B.dtype}");
            if (!w.A.shape.SequenceEqual([rank, input]) || !w.B.shape.SequenceEqual([output, rank]))
                throw new ArgumentException(
                    $"{where}: lora_A must be [{rank}, {input}] and lora_B [{output}, {rank}], got [{string.Join(", ", w.A.shape)}] and [{string.Join(", ", w.B.shape)}]");
        }
    }

    private static string Known(ModelConfig config) =>
        string.Join(", ", LoraModules.AllFor(config)) + (config.IsMixtureOfExperts ? $" (w1, w2, w3 as experts.{{e}}.w1 … for e in [0, {config.NumExperts}))" : "");

    /// <summary>Detached copies of every weight (what a training pass keeps while the optimizer moves the originals).</summary>
    public LoraAdapter Clone() =>
        new(Scaling, Weights.Select(w => w with { A = w.A.detach().clone().DetachFromDisposeScope(), B = w.B.detach().clone().DetachFromDisposeScope() }).ToList());

    /// <summary>
    /// The element-wise sum of adapters of one layout: the gradient of a batch split across providers is the sum of
    /// the shares' gradients, since every row shares the adapter.
    /// </summary>
    public static LoraAdapter Sum(IReadOnlyList<LoraAdapter> parts)
    {
        var first = parts[0];
        foreach (var part in parts)
        {
            if (part.Weights.Count != first.Weights.Count || part.Weights.Zip(first.Weights).Any(p => p.First.Block != p.Second.Block || p.First.Module != p.Second.Module))
                throw new ArgumentException("only adapters of one layout can be summed");
        }
        using var scope = NewDisposeScope();
        Tensor Total(Func<LoraAdapter, Tensor> pick) => stack(parts.Select(pick).ToArray()).sum(dim: 0).DetachFromDisposeScope();
        return new LoraAdapter(first.Scaling, first.Weights.Select((w, i) => w with { A = Total(p => p.Weights[i].A), B = Total(p => p.Weights[i].B) }).ToList());
    }

    /// <summary>Copies of the weights of adapters for disjoint blocks as one adapter (the hops of a route, in order).</summary>
    public static LoraAdapter Concat(IReadOnlyList<LoraAdapter> parts) =>
        new(parts[0].Scaling, parts.SelectMany(p => p.Weights).Select(w => w with { A = w.A.clone().DetachFromDisposeScope(), B = w.B.clone().DetachFromDisposeScope() }).ToList());

    /// <summary>Leaf copies in <paramref name="dtype"/> that record gradients (for a backward pass); owned by the caller's dispose scope.</summary>
    internal LoraAdapter TrainableCopy(ScalarType dtype) =>
        new(Scaling, Weights.Select(w => w with { A = w.A.detach().to_type(dtype).requires_grad_(true), B = w.B.detach().to_type(dtype).requires_grad_(true) }).ToList());

    /// <summary>A's and B's of every weight, in order: what autograd differentiates with respect to.</summary>
    internal IEnumerable<Tensor> Parameters() => Weights.SelectMany(w => new[] { w.A, w.B });

    /// <summary>An adapter of the same layout holding <paramref name="tensors"/> (A, B, A, B, … in <see cref="Weights"/> order).</summary>
    internal LoraAdapter WithTensors(IReadOnlyList<Tensor> tensors) =>
        new(Scaling, Weights.Select((w, i) => w with { A = tensors[2 * i], B = tensors[2 * i + 1] }).ToList());

    public void Dispose()
    {
        foreach (var w in Weights)
        {
            w.A.Dispose();
            w.B.Dispose();
        }
    }
}
