using Peerz.Model.Tiny;
using Peerz.Model.Tokenization;

namespace Peerz.Model.Tests.Tokenization;

public sealed class TinyTokenizerTests
{
    [Fact]
    public void The_tiny_models_tokenizer_is_valid_for_the_reference_and_round_trips()
    {
        var dir = TempDirectory.Create("tinytok");
        try
        {
            var config = TinyCheckpoint.Write(dir, TinyModelFixture.TestShape with { Vocab = 512 });
            var tokenizer = Tokenizer.Load(Path.Combine(dir, "tokenizer.json"));
            Assert.Equal(512, tokenizer.VocabSize);
            Assert.Equal(config.BosTokenId, tokenizer.TokenId(ByteLevelBpeTrainer.BeginOfText));
            Assert.Equal([511], tokenizer.EndOfSequenceIds(config));

            var texts = new[] { "Peerz lets people run large language models.", "the provider serves blocks", "Ünïcödé 🦙 123456" }
                .Concat(TokenizerTests.RandomTexts(50, seed: 5)).ToList();
            var (reference, decoded) = ReferenceTokenizer.Encode(Path.Combine(dir, "tokenizer.json"), Path.Combine(dir, "tokenizer_config.json"), texts);
            for (var i = 0; i < texts.Count; i++)
            {
                var ids = tokenizer.Encode(texts[i], addSpecialTokens: true);
                Assert.Equal(reference[i], ids);
                Assert.Equal(config.BosTokenId, ids[0]);
                Assert.Equal(texts[i], tokenizer.Decode(ids));
                Assert.Equal(texts[i], decoded[i]);
            }
            // 254 learned merges: the corpus it learned from compresses below half a token per byte.
            Assert.True(tokenizer.Encode(TinyCorpus.Text, false).Length < TinyCorpus.Text.Length / 2);
        }
        finally
        {
            TempDirectory.Delete(dir);
        }
    }
}
