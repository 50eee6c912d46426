using System.Globalization;
using Peerz.Model.Configuration;

namespace Peerz.Model.Adapters;

/// <summary>
/// The projections a LoRA adapter may target, by their Hugging Face / PEFT names (<c>target_modules</c>), with the
/// submodule that holds each and its input and output widths. The Llama family (llama, mistral, qwen2) has separate
/// q/k/v/o and gate/up/down projections; Mixtral has the same attention and, in place of one MLP, experts whose SwiGLU
/// projections are w1 (gate), w3 (up) and w2 (down); BLOOM and Falcon have a fused <c>query_key_value</c>, <c>dense</c>
/// and a two-matrix MLP. The name sets do not overlap, so a module name alone says which family it belongs to.
/// </summary>
/// <remarks>
/// A target names a kind of projection; an adapter's weight names one module of a block. They are the same string except
/// for Mixtral's experts, where target <c>w1</c> stands for one module per expert, <c>experts.{e}.w1</c> (the module's path
/// inside the layer's <c>block_sparse_moe</c>, as PEFT names it).
/// </remarks>
public static class LoraModules
{
    /// <summary>PEFT's default for Llama-family models (Mixtral included): the query and value projections.</summary>
    public static readonly IReadOnlyList<string> Default = ["q_proj", "v_proj"];

    /// <summary>The Llama family's projections.</summary>
    public static readonly IReadOnlyList<string> All = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"];

    /// <summary>Mixtral's projections: attention, and every expert's w1, w2, w3.</summary>
    public static readonly IReadOnlyList<string> MixtureAll = ["q_proj", "k_proj", "v_proj", "o_proj", "w1", "w2", "w3"];

    /// <summary>PEFT's default for BLOOM and Falcon: the fused query/key/value projection.</summary>
    public static readonly IReadOnlyList<string> FusedDefault = ["query_key_value"];

    /// <summary>BLOOM's and Falcon's projections.</summary>
    public static readonly IReadOnlyList<string> FusedAll = ["query_key_value", "dense", "dense_h_to_4h", "dense_4h_to_h"];

    private const string ExpertsPrefix = "experts.";

    /// <summary>True for a model type whose blocks have the fused projections (<see cref="FusedAll"/>).</summary>
    public static bool HasFusedProjections(ModelConfig config) => config.ModelType is BloomConfig.ModelType or FalconConfig.ModelType;

    /// <summary>The targets <paramref name="config"/>'s blocks have.</summary>
    public static IReadOnlyList<string> AllFor(ModelConfig config) =>
        HasFusedProjections(config) ? FusedAll : config.IsMixtureOfExperts ? MixtureAll : All;

    /// <summary>PEFT's default target modules for <paramref name="config"/>'s model type.</summary>
    public static IReadOnlyList<string> DefaultFor(ModelConfig config) => HasFusedProjections(config) ? FusedDefault : Default;

    /// <summary>The modules of one block that <paramref name="targets"/> name: an expert target once per expert, the others as they are.</summary>
    public static IEnumerable<string> Expand(ModelConfig config, IEnumerable<string> targets) =>
        targets.SelectMany(target => config.IsMixtureOfExperts && IsExpertProjection(target)
            ? Enumerable.Range(0, config.NumExperts).Select(e => ExpertModule(e, target))
            : [target]);

    /// <summary>Expert <paramref name="expert"/>'s <paramref name="projection"/> (w1, w2 or w3) as a module name.</summary>
    public static string ExpertModule(int expert, string projection) => $"{ExpertsPrefix}{expert}.{projection}";

    /// <summary>The target a module belongs to: <c>w1</c> for <c>experts.3.w1</c>, the module itself otherwise.</summary>
    public static string Target(string module) => IsExpertModule(module, out _, out var projection) ? projection : module;

    /// <summary>True when <paramref name="config"/>'s blocks have <paramref name="module"/> (an expert's within the model's expert count).</summary>
    public static bool Supports(ModelConfig config, string module) =>
        IsExpertModule(module, out var expert, out _)
            ? config.IsMixtureOfExperts && expert < config.NumExperts
            : AllFor(config).Contains(module) && !IsExpertProjection(module);

    /// <summary>True for the MLP's projections.</summary>
    public static bool IsMlp(string module) => module is "gate_proj" or "up_proj" or "down_proj" or "dense_h_to_4h" or "dense_4h_to_h";

    /// <summary>
    /// The submodule path inside a decoder layer: <c>self_attn</c>, <c>mlp</c> or <c>block_sparse_moe</c> (Llama family,
    /// Mixtral), <c>self_attention</c> or <c>mlp</c> (BLOOM, Falcon).
    /// </summary>
    public static string Parent(string module) =>
        IsExpertModule(module, out _, out _) ? "block_sparse_moe" : IsMlp(module) ? "mlp" : FusedAll.Contains(module) ? "self_attention" : "self_attn";

    /// <summary>Where the decoder layers sit in a causal LM's state dict: <c>model.layers</c> or BLOOM's and Falcon's <c>transformer.h</c>.</summary>
    public static string Layers(string module) => FusedAll.Contains(module) ? "transformer.h" : "model.layers";

    /// <summary>(in, out) widths of <paramref name="module"/>'s base weight [out, in].</summary>
    public static (long In, long Out) Shape(ModelConfig config, string module)
    {
        long hidden = config.HiddenSize, query = config.NumHeads * config.HeadDim, kv = config.NumKeyValueHeads * config.HeadDim;
        return Target(module) switch
        {
            "q_proj" => (hidden, query),
            "k_proj" or "v_proj" => (hidden, kv),
            "o_proj" or "dense" => (query, hidden),
            "gate_proj" or "up_proj" or "dense_h_to_4h" or "w1" or "w3" => (hidden, config.IntermediateSize),
            "down_proj" or "dense_4h_to_h" or "w2" => (config.IntermediateSize, hidden),
            // BLOOM: 3 · hidden (a key and value head per query head); Falcon: the query heads and one key and one value head per group.
            "query_key_value" => (hidden, query + 2 * kv),
            _ => throw new ArgumentException($"unknown LoRA target module '{module}'; known: {string.Join(", ", All.Concat(MixtureAll).Concat(FusedAll).Distinct())}"),
        };
    }

    private static bool IsExpertProjection(string target) => target is "w1" or "w2" or "w3";

    private static bool IsExpertModule(string module, out int expert, out string projection)
    {
        expert = -1;
        projection = "";
        if (!module.StartsWith(ExpertsPrefix, StringComparison.Ordinal)) return false;
        var dot = module.IndexOf('.', ExpertsPrefix.Length);
        if (dot < 0 || !IsExpertProjection(module[(dot + 1)..])) return false;
        var index = module.AsSpan(ExpertsPrefix.Length, dot - ExpertsPrefix.Length);
        // Digits only (no sign, no spaces), and short: what PEFT writes for an expert's index.
        if (index.Length is 0 or > 4 || index.ContainsAnyExcept("0123456789")) return false;
        expert = int.Parse(index, CultureInfo.InvariantCulture);
        projection = module[(dot + 1)..];
        return true;
    }
}
