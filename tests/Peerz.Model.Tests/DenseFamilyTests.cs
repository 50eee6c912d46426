using Peerz.Model.Blocks;
using Peerz.Model.Tiny;
using Xunit.Abstractions;

namespace Peerz.Model.Tests;

/// <summary>
/// Mistral and Qwen2 run the Llama family's blocks under their own configs (Qwen2 with q/k/v biases and tied embeddings):
/// the span and cache checks the Llama fixture gets in <see cref="SpanSplitTests"/> and <see cref="KvCacheTests"/>, on
/// a generated checkpoint of each (their float64 references are in <see cref="ReferenceModelTests"/>).
/// </summary>
public sealed class DenseFamilyTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("mistral", false)]
    [InlineData("qwen2", true)]
    public void Splitting_into_spans_at_every_boundary_gives_the_whole_models_logits(string modelType, bool tied) =>
        WithCheckpoint(modelType, tied, dir => SpanSplitTests.AssertEverySplitGivesTheWholeModel(dir, new BlockLoadOptions(), output));

    [Theory]
    [InlineData("mistral", false)]
    [InlineData("qwen2", true)]
    public void Incremental_decoding_of_32_tokens_equals_full_recomputation(string modelType, bool tied) =>
        WithCheckpoint(modelType, tied, dir => KvCacheTests.AssertIncrementalDecodingEqualsRecomputation(dir, new BlockLoadOptions(), output).GetAwaiter().GetResult());

    private static void WithCheckpoint(string modelType, bool tied, Action<string> check)
    {
        var dir = TempDirectory.Create(modelType);
        try
        {
            TinyModelGenerator.Write(dir, TinyModelFixture.TestShape with { ModelType = modelType, TieWordEmbeddings = tied });
            check(dir);
        }
        finally
        {
            TempDirectory.Delete(dir);
        }
    }
}
