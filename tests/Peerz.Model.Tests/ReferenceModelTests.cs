using Peerz.Model.Tiny;
using Xunit.Abstractions;

namespace Peerz.Model.Tests;

public sealed class ReferenceModelTests(ITestOutputHelper output)
{
    private static readonly int[] Tokens = [1, 17, 42, 99, 3, 250, 7, 7, 128, 64];

    // Float32 TorchSharp against a float64 loop implementation: float32 keeps ~7 significant
    // digits; over 4 layers with logits of magnitude ~10, accumulated rounding stays near 1e-5.
    // 1e-4 leaves a margin while still catching any wrong rope layout, head mapping or mask.
    [Theory]
    [InlineData("llama", false)]
    [InlineData("mistral", false)]
    [InlineData("qwen2", true)]
    [InlineData("mixtral", false)]
    public void TorchSharp_blocks_match_an_independent_double_precision_implementation(string modelType, bool tied)
    {
        var dir = TempDirectory.Create("naive");
        try
        {
            TinyModelGenerator.Write(dir, TinyModelFixture.TestShape with { ModelType = modelType, TieWordEmbeddings = tied });
            using var model = LocalModel.Load(dir);
            var ours = model.Logits(Tokens);
            var reference = new NaiveLlama(dir).Logits(Tokens);
            double max = 0;
            for (var i = 0; i < Tokens.Length; i++)
                for (var j = 0; j < reference[i].Length; j++)
                    max = Math.Max(max, Math.Abs(ours[i][j] - reference[i][j]));
            output.WriteLine($"{modelType}: max abs diff vs float64 reference {max:E2}");
            Assert.True(max <= 1e-4, $"max abs diff {max}");
        }
        finally
        {
            TempDirectory.Delete(dir);
        }
    }
}
