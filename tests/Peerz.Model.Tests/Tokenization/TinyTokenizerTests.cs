using Peerz.Model.Tokenization;
using Xunit.Abstractions;

namespace Peerz.Model.Tests.Tokenization;

/// <summary>
/// The tokenizer.json written for tiny models must be a real one: loaded by our tokenizer and by
/// @lenml/tokenizers 3.7.2 (the independent reference), both must give identical ids.
/// </summary>
[Trait("Category", "JavaScript")]
public sealed class TinyTokenizerTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("peerz-tiny-tokenizer-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [InlineData(258)]
    [InlineData(512)]
    [InlineData(4096)]
    public void Written_tokenizer_encodes_like_the_reference(int vocabSize)
    {
        var path = Path.Combine(_directory, $"tokenizer-{vocabSize}.json");
        var file = TokenizerJsonWriter.WriteByteLevelBpe(path, vocabSize);
        var tokenizer = Tokenizer.Load(path);
        var texts = TokenizerCorpus.All(seed: 7);
        var reference = ReferenceTokenizer.Run(path, null, texts);
        output.WriteLine($"vocab {vocabSize}: {file.MergeCount} merges, bos {file.BosTokenId}, eos {file.EosTokenId}");

        Assert.Equal(vocabSize, tokenizer.VocabSize);
        Assert.Equal(vocabSize, reference.VocabSize);
        Assert.Equal(file.BosTokenId, tokenizer.BosTokenId);
        Assert.Equal(file.EosTokenId, tokenizer.EosTokenId);
        for (var i = 0; i < texts.Count; i++)
        {
            var ours = tokenizer.Encode(texts[i], addSpecialTokens: true);
            Assert.True(ours.AsSpan().SequenceEqual(reference.Ids[i]), $"text {i} {TokenizerCorpus.Escape(texts[i])}: ours {string.Join(",", ours)} ref {string.Join(",", reference.Ids[i])}");
            Assert.Equal(file.BosTokenId, ours[0]);
            Assert.All(ours, id => Assert.InRange(id, 0, vocabSize - 1));
            Assert.Equal(texts[i], tokenizer.Decode(ours.AsSpan(1)));
        }
    }

    [Fact]
    public void Merges_compress_english_and_the_file_is_deterministic()
    {
        var file = TokenizerJsonWriter.BuildByteLevelBpe(1024);
        Assert.Equal(file.Json, TokenizerJsonWriter.BuildByteLevelBpe(1024).Json);
        var tokenizer = Tokenizer.Parse(file.Json);
        const string sentence = "The provider signs a receipt for the tokens of the session.";
        var ids = tokenizer.Encode(sentence, addSpecialTokens: false);
        output.WriteLine($"{file.MergeCount} merges; {sentence.Length} bytes → {ids.Length} tokens");
        Assert.True(file.MergeCount > 300, $"only {file.MergeCount} merges learned");
        Assert.True(ids.Length * 2 < sentence.Length, $"{ids.Length} tokens for {sentence.Length} bytes");
    }

    [Theory]
    [InlineData(257)]
    [InlineData(0)]
    [InlineData(-1)]
    public void Too_small_a_vocabulary_is_refused(int vocabSize)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => TokenizerJsonWriter.BuildByteLevelBpe(vocabSize));
    }
}
