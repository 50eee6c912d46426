using Peerz.Model.Configuration;

namespace Peerz.Model.Adapters;

/// <summary>
/// The projections a LoRA adapter may target, by their Hugging Face / PEFT names (<c>target_modules</c>), with the
/// submodule that holds each (<c>self_attn</c> or <c>mlp</c>) and its input and output widths.
/// </summary>
public static class LoraModules
{
    /// <summary>PEFT's default for Llama-family models: the query and value projections.</summary>
    public static readonly IReadOnlyList<string> Default = ["q_proj", "v_proj"];

    public static readonly IReadOnlyList<string> All = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"];

    public static bool IsKnown(string module) => All.Contains(module);

    /// <summary>True for gate/up/down, which a mixture-of-experts block does not have as single projections.</summary>
    public static bool IsMlp(string module) => module is "gate_proj" or "up_proj" or "down_proj";

    /// <summary>The submodule path inside a decoder layer: <c>self_attn</c> or <c>mlp</c>.</summary>
    public static string Parent(string module) => IsMlp(module) ? "mlp" : "self_attn";

    /// <summary>(in, out) widths of <paramref name="module"/>'s base weight [out, in].</summary>
    public static (long In, long Out) Shape(ModelConfig config, string module)
    {
        long hidden = config.HiddenSize, query = config.NumHeads * config.HeadDim, kv = config.NumKeyValueHeads * config.HeadDim;
        return module switch
        {
            "q_proj" => (hidden, query),
            "k_proj" or "v_proj" => (hidden, kv),
            "o_proj" => (query, hidden),
            "gate_proj" or "up_proj" => (hidden, config.IntermediateSize),
            "down_proj" => (config.IntermediateSize, hidden),
            _ => throw new ArgumentException($"unknown LoRA target module '{module}'; known: {string.Join(", ", All)}"),
        };
    }
}
