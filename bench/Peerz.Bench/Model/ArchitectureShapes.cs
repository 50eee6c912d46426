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

    /// <summary>Blocks with their norms, embeddings (BLOOM's with their LayerNorm), the final norm and (unless tied) the output head.</summary>
    public long FullParameters =>
        (ParametersPerBlock + NormParametersPerBlock) * FullLayers + (long)FullVocab * Blocks.Hidden * (Blocks.TieWordEmbeddings ? 1 : 2)
        + (IsLayerNorm ? 2 : 1) * Blocks.Hidden + (Blocks.ModelType == "bloom" ? 2 * Blocks.Hidden : 0);

    private bool IsLayerNorm => Blocks.ModelType is "bloom" or "falcon";

    /// <summary>RMSNorm has a weight, LayerNorm a weight and a bias; Falcon-7B's block has one norm, the others two.</summary>
    private long NormParametersPerBlock =>
        (IsLayerNorm ? 2L : 1L) * Blocks.Hidden * (Blocks.ModelType == "falcon" && Blocks.KvHeads == 1 ? 1 : 2);

    private long AttentionParameters
    {
        get
        {
            long hidden = Blocks.Hidden, kvWidth = (long)Blocks.Hidden / Blocks.Heads * Blocks.KvHeads;
            var bias = Blocks.ModelType switch
            {
                "qwen2" => hidden + 2 * kvWidth,
                "bloom" => 3 * hidden + hidden, // fused query_key_value and dense both carry biases
                _ => 0,
            };
            return 2 * hidden * hidden + 2 * hidden * kvWidth + bias;
        }
    }

    private long MlpParameters(bool routedOnly)
    {
        // BLOOM and Falcon: a GELU MLP of two matrices, 4 · hidden wide (BLOOM's with biases).
        if (IsLayerNorm)
            return 8L * Blocks.Hidden * Blocks.Hidden + (Blocks.ModelType == "bloom" ? 5L * Blocks.Hidden : 0);
        var expert = 3L * Blocks.Hidden * Blocks.IntermediateSize;
        if (Blocks.ModelType != "mixtral") return expert;
        return (routedOnly ? Blocks.ExpertsPerToken : Blocks.Experts) * expert + (long)Blocks.Experts * Blocks.Hidden;
    }
}

/// <summary>
/// The shapes the architectures benchmark runs, one per model_type. A new architecture is one more entry (its generator
/// options; the parameter count above knows each family's projections, biases and norms, so a new layout adds its own terms).
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
        new(Options("bloom", blocks, hidden: 1536, heads: 16, kvHeads: 16, intermediate: 0) with { TieWordEmbeddings = true }, FullLayers: 24, FullVocab: 250880,
            "BLOOM-1b1"),
        new(Options("falcon", blocks, hidden: 2048, heads: 32, kvHeads: 1, intermediate: 0) with { TieWordEmbeddings = true }, FullLayers: 22, FullVocab: 65024,
            "Falcon-7B's layout (multi-query, parallel attention and MLP, MLP 4× hidden) at hidden 2048"),
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
