using Peerz.Model.Checkpoints;
using Peerz.Model.Configuration;
using Peerz.Model.Tokenization;

namespace Peerz.Model.Tiny;

/// <summary>
/// The embedded default model: a complete HF-format directory (config.json, model.safetensors,
/// tokenizer.json) with a small learned byte-level BPE vocabulary and deterministic random weights.
/// </summary>
public static class TinyCheckpoint
{
    /// <param name="tokenizerText">the text the tokenizer's merges are learned from (default: a short embedded text)</param>
    public static ModelConfig Write(string directory, TinyModelOptions options, string? tokenizerText = null)
    {
        Directory.CreateDirectory(directory);
        var tokenizer = TokenizerJsonWriter.WriteByteLevelBpe(Path.Combine(directory, Checkpoint.TokenizerFile), options.Vocab, tokenizerText);
        return TinyModelGenerator.Write(directory, options, tokenizer.BosTokenId, tokenizer.EosTokenId);
    }
}
