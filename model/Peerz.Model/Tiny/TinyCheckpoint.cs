using Peerz.Model.Checkpoints;
using Peerz.Model.Configuration;
using Peerz.Model.Tokenization;

namespace Peerz.Model.Tiny;

/// <summary>
/// The embedded default model: a complete HF-format directory (config.json, model.safetensors,
/// tokenizer.json, tokenizer_config.json) with a small learned byte-level BPE vocabulary and
/// deterministic random weights.
/// </summary>
public static class TinyCheckpoint
{
    public static ModelConfig Write(string directory, TinyModelOptions options)
    {
        Directory.CreateDirectory(directory);
        var (bos, eos) = ByteLevelBpeTrainer.Write(Path.Combine(directory, Checkpoint.TokenizerFile), options.Vocab, TinyCorpus.Text);
        return TinyModelGenerator.Write(directory, options, bos, eos);
    }
}
