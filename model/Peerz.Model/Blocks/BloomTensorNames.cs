using Peerz.Model.Checkpoints;

namespace Peerz.Model.Blocks;

/// <summary>
/// Where BLOOM's tensors live in a checkpoint: under "transformer." when saved from BloomForCausalLM (what
/// save_pretrained writes today), or at the top level in the bigscience/bloom* files, saved from the bare BloomModel.
/// </summary>
internal static class BloomTensorNames
{
    public const string WordEmbeddings = "word_embeddings";
    public const string WordEmbeddingsNorm = "word_embeddings_layernorm";
    public const string FinalNorm = "ln_f";

    public static string Root(Checkpoint checkpoint) =>
        checkpoint.Contains("transformer." + WordEmbeddings + ".weight") || checkpoint.Contains("transformer.h.0.input_layernorm.weight") ? "transformer." : "";

    public static string Block(Checkpoint checkpoint, int index) => $"{Root(checkpoint)}h.{index}.";
}
