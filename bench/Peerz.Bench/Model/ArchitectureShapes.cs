using Peerz.Model.Tiny;

namespace Peerz.Bench.Model;

/// <summary>
/// A ~1B-parameter shape of one architecture: the generator options of its blocks, how many blocks and what vocabulary
/// the full model has, and where the shape comes from.
/// </summary>
internal sealed record ArchitectureShape(TinyModelOptions Blocks, int FullLayers, int FullVocab, string Source)
{
    /// <summary>Weights of the matrices a token multiplies in one block (for Mixtral only its routed experts, and the router).</summary>
    public long ActiveParametersPerBlock => AttentionParameters + MlpParameters(routedOnly: true);

    /// <summary>Weights of one block's matrices (and biases): what <c>BlockSpan.WeightBytes</c> counts, without the two norm vectors.</summary>
    public long ParametersPerBlock => AttentionParameters + MlpParameters(routedOnly: false);

    /// <summary>Blocks with their norms, embeddings, the final norm and (unless tied) the output head.</summary>
    public long FullParameters => (ParametersPerBlock + 2L * Blocks.Hidden) * FullLayers + (long)FullVocab * Blocks.Hidden * (Blocks.TieWordEmbeddings ? 1 : 2) + Blocks.Hidden;

    private long AttentionParameters
    {
        get
        {
            long hidden = Blocks.Hidden, kvWidth = (long)Blocks.Hidden / Blocks.Heads * Blocks.KvHeads;
            var bias = Blocks.ModelType == "qwen2" ? hidden + 2 * kvWidth : 0;
            return 2 * hidden * hidden + 2 * hidden * kvWidth + bias;
        }
    }

    private long MlpParameters(bool routedOnly)
    {
        var expert = 3L * Blocks.Hidden * Blocks.IntermediateSize;
        if (Blocks.ModelType != "mixtral") return expert;
        return (routedOnly ? Blocks.ExpertsPerToken : Blocks.Experts) * expert + (long)Blocks.Experts * Blocks.Hidden;
    }
}

/// <summary>
/// The shapes the architectures benchmark runs, one per model_type. A new architecture is one more entry (its generator
/// options; the parameter count above knows the Llama family's projections, so a layout with others adds its own terms).
/// </summary>
internal static class ArchitectureShapes
{
    /// <summary>Checkpoints for the benchmark carry a small vocabulary: only the blocks are timed, and the full model's embeddings are counted from <see cref="ArchitectureShape.FullVocab"/>.</summary>
    private const int BenchVocab = 512;

    public static IReadOnlyList<ArchitectureShape> All(int blocks) =>
    [
        new(Options("llama", blocks, hidden: 2048, heads: 32, kvHeads: 4, intermediate: 5632), FullLayers: 22, FullVocab: 32000,
            "TinyLlama-1.1B"),
        new(Options("mistral", blocks, hidden: 2048, heads: 32, kvHeads: 8, intermediate: 7168), FullLayers: 18, FullVocab: 32000,
            "Mistral-7B's proportions (GQA 4:1, MLP 3.5× hidden) at hidden 2048"),
        new(Options("qwen2", blocks, hidden: 1536, heads: 12, kvHeads: 2, intermediate: 8960) with { TieWordEmbeddings = true }, FullLayers: 28, FullVocab: 151936,
            "Qwen2-1.5B"),
        new(Options("mixtral", blocks, hidden: 1024, heads: 16, kvHeads: 4, intermediate: 3584) with { Experts = 8, ExpertsPerToken = 2 }, FullLayers: 12, FullVocab: 32000,
            "Mixtral-8x7B's proportions (8 experts, top 2, GQA 4:1, expert MLP 3.5× hidden) at hidden 1024"),
    ];

    private static TinyModelOptions Options(string modelType, int blocks, int hidden, int heads, int kvHeads, int intermediate) => new()
    {
        Seed = 1,
        ModelType = modelType,
        Layers = blocks,
        Hidden = hidden,
        Heads = heads,
        KvHeads = kvHeads,
        Intermediate = intermediate,
        Vocab = BenchVocab,
        MaxPositions = 4096,
    };
}
