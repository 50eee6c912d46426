using Peerz.Model.Configuration;

namespace Peerz.Model.Adapters;

/// <summary>
/// The projections a LoRA adapter may target, by their Hugging Face / PEFT names (<c>target_modules</c>), with the
/// submodule that holds each and its input and output widths. The Llama family (llama, mistral, qwen2, mixtral) has
/// separate q/k/v/o and gate/up/down projections; BLOOM and Falcon have a fused <c>query_key_value</c>, <c>dense</c>
/// and a two-matrix MLP. The two name sets do not overlap, so a module name alone says which family it belongs to.
/// </summary>
public static class LoraModules
{
    /// <summary>PEFT's default for Llama-family models: the query and value projections.</summary>
    public static readonly IReadOnlyList<string> Default = ["q_proj", "v_proj"];

    /// <summary>The Llama family's projections.</summary>
    public static readonly IReadOnlyList<string> All = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"];

    /// <summary>PEFT's default for BLOOM and Falcon: the fused query/key/value projection.</summary>
    public static readonly IReadOnlyList<string> FusedDefault = ["query_key_value"];

    /// <summary>BLOOM's and Falcon's projections.</summary>
    public static readonly IReadOnlyList<string> FusedAll = ["query_key_value", "dense", "dense_h_to_4h", "dense_4h_to_h"];

    /// <summary>True for a model type whose blocks have the fused projections (<see cref="FusedAll"/>).</summary>
    public static bool HasFusedProjections(ModelConfig config) => config.ModelType is BloomConfig.ModelType or FalconConfig.ModelType;

    /// <summary>The projections <paramref name="config"/>'s blocks have.</summary>
    public static IReadOnlyList<string> AllFor(ModelConfig config) => HasFusedProjections(config) ? FusedAll : All;

    /// <summary>PEFT's default target modules for <paramref name="config"/>'s model type.</summary>
    public static IReadOnlyList<string> DefaultFor(ModelConfig config) => HasFusedProjections(config) ? FusedDefault : Default;

    public static bool IsKnown(string module) => All.Contains(module) || FusedAll.Contains(module);

    /// <summary>True for the MLP's projections, which a mixture-of-experts block does not have as single projections.</summary>
    public static bool IsMlp(string module) => module is "gate_proj" or "up_proj" or "down_proj" or "dense_h_to_4h" or "dense_4h_to_h";

    /// <summary>The submodule path inside a decoder layer: <c>self_attn</c> or <c>mlp</c> (Llama family), <c>self_attention</c> or <c>mlp</c> (BLOOM, Falcon).</summary>
    public static string Parent(string module) => IsMlp(module) ? "mlp" : FusedAll.Contains(module) ? "self_attention" : "self_attn";

    /// <summary>Where the decoder layers sit in a causal LM's state dict: <c>model.layers</c> or BLOOM's and Falcon's <c>transformer.h</c>.</summary>
    public static string Layers(string module) => FusedAll.Contains(module) ? "transformer.h" : "model.layers";

    /// <summary>(in, out) widths of <paramref name="module"/>'s base weight [out, in].</summary>
    public static (long In, long Out) Shape(ModelConfig config, string module)
    {
        long hidden = config.HiddenSize, query = config.NumHeads * config.HeadDim, kv = config.NumKeyValueHeads * config.HeadDim;
        return module switch
        {
            "q_proj" => (hidden, query),
            "k_proj" or "v_proj" => (hidden, kv),
            "o_proj" or "dense" => (query, hidden),
            "gate_proj" or "up_proj" or "dense_h_to_4h" => (hidden, config.IntermediateSize),
            "down_proj" or "dense_4h_to_h" => (config.IntermediateSize, hidden),
            // BLOOM: 3 · hidden (a key and value head per query head); Falcon: the query heads and one key and one value head per group.
            "query_key_value" => (hidden, query + 2 * kv),
            _ => throw new ArgumentException($"unknown LoRA target module '{module}'; known: {string.Join(", ", All.Concat(FusedAll))}"),
        };
    }
}
