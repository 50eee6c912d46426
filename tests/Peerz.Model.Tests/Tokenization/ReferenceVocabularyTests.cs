using Peerz.Model.Tokenization;
using Xunit.Abstractions;

namespace Peerz.Model.Tests.Tokenization;

/// <summary>
/// Our tokenizer against an independent implementation on real vocabularies: the ids of every
/// corpus text must equal those of @lenml/tokenizers 3.7.2 (a port of transformers.js, run under
/// Node 22 from node_modules), with and without special tokens, and decoding must agree and round-trip.
/// </summary>
[Trait("Category", "JavaScript")]
public abstract class ReferenceVocabularyTests<TVocabulary>(TVocabulary vocabulary, ITestOutputHelper output) : IClassFixture<TVocabulary>
    where TVocabulary : ReferenceVocabularyFixture
{
    protected TVocabulary Vocabulary { get; } = vocabulary;

    [Fact]
    public void Encoding_with_special_tokens_equals_the_reference()
    {
        AssertSameIds(Vocabulary.Reference.Ids, addSpecialTokens: true);
    }

    [Fact]
    public void Encoding_without_special_tokens_equals_the_reference()
    {
        AssertSameIds(Vocabulary.Reference.IdsNoSpecial, addSpecialTokens: false);
    }

    [Fact]
    public void Vocabulary_size_equals_the_reference()
    {
        Assert.Equal(Vocabulary.Reference.VocabSize, Vocabulary.Tokenizer.VocabSize);
    }

    [Fact]
    public void Decoding_equals_the_reference()
    {
        var mismatches = 0;
        for (var i = 0; i < Vocabulary.Texts.Count; i++)
        {
            var ids = Vocabulary.Tokenizer.Encode(Vocabulary.Texts[i], addSpecialTokens: false);
            var ours = Vocabulary.Tokenizer.Decode(ids);
            if (ours == Vocabulary.Reference.Decoded[i]) continue;
            mismatches++;
            output.WriteLine($"text {i}: ours {TokenizerCorpus.Escape(ours)} ref {TokenizerCorpus.Escape(Vocabulary.Reference.Decoded[i])}");
        }
        Assert.Equal(0, mismatches);
    }

    [Fact]
    public void Streaming_decoder_emits_exactly_the_decoded_text()
    {
        foreach (var text in Vocabulary.Texts)
        {
            var ids = Vocabulary.Tokenizer.Encode(text, addSpecialTokens: true);
            var streaming = Vocabulary.Tokenizer.CreateStreamingDecoder(skipSpecialTokens: false);
            var pieces = ids.Select(streaming.Add).Append(streaming.Flush()).ToList();
            Assert.Equal(Vocabulary.Tokenizer.Decode(ids), string.Concat(pieces));
            // Pieces are complete text: none ends in half of a UTF-8 sequence.
            Assert.DoesNotContain(pieces, p => p.Contains('\uFFFD'));
        }
    }

    [Fact]
    public void Special_token_text_becomes_its_id_and_skipping_drops_it()
    {
        var tokenizer = Vocabulary.Tokenizer;
        var eos = Assert.IsType<int>(tokenizer.EosTokenId);
        var eosText = tokenizer.IdToToken(eos)!;
        var ids = tokenizer.Encode("Hi" + eosText, addSpecialTokens: false);
        Assert.Equal(eos, ids[^1]);
        Assert.True(tokenizer.IsSpecial(eos));
        Assert.DoesNotContain(eosText, tokenizer.Decode(ids, skipSpecialTokens: true));
        Assert.EndsWith(eosText, tokenizer.Decode(ids, skipSpecialTokens: false));
    }

    protected void AssertSameIds(int[][] expected, bool addSpecialTokens)
    {
        var mismatches = 0;
        for (var i = 0; i < Vocabulary.Texts.Count; i++)
        {
            var ours = Vocabulary.Tokenizer.Encode(Vocabulary.Texts[i], addSpecialTokens);
            if (ours.AsSpan().SequenceEqual(expected[i])) continue;
            mismatches++;
            output.WriteLine($"text {i} {TokenizerCorpus.Escape(Vocabulary.Texts[i])}\n  ours: {string.Join(",", ours)}\n  ref:  {string.Join(",", expected[i])}");
        }
        output.WriteLine($"{Vocabulary.Package}: {Vocabulary.Texts.Count - mismatches}/{Vocabulary.Texts.Count} texts encode identically");
        Assert.Equal(0, mismatches);
    }
}

public sealed class Llama3TokenizerTests(Llama3Vocabulary vocabulary, ITestOutputHelper output)
    : ReferenceVocabularyTests<Llama3Vocabulary>(vocabulary, output)
{
    [Fact]
    public void Byte_level_decoding_round_trips_every_text()
    {
        foreach (var text in Vocabulary.Texts)
            Assert.Equal(text, Vocabulary.Tokenizer.Decode(Vocabulary.Tokenizer.Encode(text, addSpecialTokens: false)));
    }

    [Fact]
    public void Special_token_ids_come_from_the_tokenizer_files()
    {
        // tokenizer_config.json names <|begin_of_text|> / <|end_of_text|>; this tokenizer.json has no BOS template.
        Assert.Equal(Vocabulary.Tokenizer.TokenToId("<|begin_of_text|>"), Vocabulary.Tokenizer.BosTokenId);
        Assert.Equal(Vocabulary.Tokenizer.TokenToId("<|end_of_text|>"), Vocabulary.Tokenizer.EosTokenId);
    }
}

public sealed class Llama2TokenizerTests(Llama2Vocabulary vocabulary, ITestOutputHelper output)
    : ReferenceVocabularyTests<Llama2Vocabulary>(vocabulary, output)
{
    [Fact]
    public void Decoding_round_trips_texts_without_added_tokens()
    {
        // The Prepend normalizer runs per piece between added tokens, so "a<s>b" decodes as "a<s> b"
        // (in Hugging Face tokenizers too); texts without added tokens round-trip exactly.
        foreach (var text in Vocabulary.Texts.Where(t => !t.Contains("<s>") && !t.Contains("</s>")))
            Assert.Equal(text, Vocabulary.Tokenizer.Decode(Vocabulary.Tokenizer.Encode(text, addSpecialTokens: false)));
    }

    [Fact]
    public void Bos_comes_from_the_template_and_bytes_fall_back()
    {
        var tokenizer = Vocabulary.Tokenizer;
        Assert.Equal(tokenizer.TokenToId("<s>"), tokenizer.BosTokenId);
        Assert.Equal(tokenizer.BosTokenId, tokenizer.Encode("x", addSpecialTokens: true)[0]);
        // U+1F999 is not in the vocabulary: four <0xNN> tokens, and streaming emits it only when complete.
        var ids = tokenizer.Encode("🦙", addSpecialTokens: false)[1..];
        Assert.Equal(["<0xF0>", "<0x9F>", "<0xA6>", "<0x99>"], ids.Select(id => tokenizer.IdToToken(id)));
        var streaming = tokenizer.CreateStreamingDecoder();
        Assert.Equal(["", "", "", "🦙"], ids.Select(streaming.Add));
    }
}
