using System.Text.Json;
using Peerz.Model;
using Peerz.Testing;
using Peerz.Testing.Processes;

namespace Peerz.Cli.Tests;

/// <summary>`peerz model init-tiny --random --model-type T` writes a checkpoint of that architecture that `peerz model logits` serves.</summary>
[Trait("Category", "Process")]
public sealed class ModelTypeCliTests : IDisposable
{
    private readonly string _directory = TempDirectory.Create("model-type-cli");

    [Fact]
    public async Task A_random_mixtral_is_written_with_its_expert_config_and_its_logits_are_printed()
    {
        var result = await ToolProcess.RunAsync("peerz", ["model", "init-tiny", "--random", "--model-type", "mixtral", "--experts", "3", "--experts-per-token", "2",
            "--layers", "2", "--hidden", "32", "--out", _directory]);
        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Contains("tiny mixtral", result.Output);

        using (var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(_directory, "config.json"))))
        {
            Assert.Equal("mixtral", config.RootElement.GetProperty("model_type").GetString());
            Assert.Equal(3, config.RootElement.GetProperty("num_local_experts").GetInt32());
            Assert.Equal(2, config.RootElement.GetProperty("num_experts_per_tok").GetInt32());
        }
        int[] tokens = [5, 17, 300, 2];
        using var local = LocalModel.Load(_directory);
        // The same checkpoint loaded in this process (float32 values survive JSON exactly).
        Assert.Equal(local.Logits(tokens), await PrintedLogitsAsync(_directory, tokens));
    }

    [Fact]
    public async Task A_random_bloom_model_is_written_with_bloom_config_names_and_its_logits_are_printed()
    {
        // 6 heads: ALiBi slopes for a head count that is not a power of two.
        var result = await ToolProcess.RunAsync("peerz", ["model", "init-tiny", "--random", "--model-type", "bloom", "--layers", "3", "--hidden", "48", "--heads", "6", "--out", _directory]);
        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Contains("3-block tiny bloom (hidden 48", result.Output);
        using (var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(_directory, "config.json"))))
        {
            var root = config.RootElement;
            Assert.Equal(("bloom", 3, 6, 48), (root.GetProperty("model_type").GetString(), root.GetProperty("n_layer").GetInt32(), root.GetProperty("n_head").GetInt32(), root.GetProperty("hidden_size").GetInt32()));
        }
        int[] tokens = [5, 300, 42, 7];
        using var local = LocalModel.Load(_directory);
        Assert.Equal(local.Logits(tokens), await PrintedLogitsAsync(_directory, tokens));
    }

    /// <summary>
    /// The other families (Mixtral and BLOOM above): what `peerz model logits` prints is what the float64 references of
    /// Peerz.Model.Tests are checked against in process (ReferenceModelTests, FalconTests), to the last bit.
    /// </summary>
    [Theory]
    [InlineData("llama")]
    [InlineData("mistral")]
    [InlineData("qwen2")]
    [InlineData("falcon")]
    public async Task A_random_model_of_each_family_prints_the_logits_of_the_checkpoint(string modelType)
    {
        var result = await ToolProcess.RunAsync("peerz", ["model", "init-tiny", "--random", "--model-type", modelType, "--layers", "2", "--hidden", "32", "--out", _directory]);
        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Contains($"tiny {modelType}", result.Output);
        using (var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(_directory, "config.json"))))
            Assert.Equal(modelType, config.RootElement.GetProperty("model_type").GetString());
        int[] tokens = [5, 17, 300, 2];
        using var local = LocalModel.Load(_directory);
        Assert.Equal(local.Logits(tokens), await PrintedLogitsAsync(_directory, tokens));
    }

    [Fact]
    public async Task An_unknown_model_type_is_one_error_line()
    {
        var result = await ToolProcess.RunAsync("peerz", ["model", "init-tiny", "--random", "--model-type", "gpt5", "--out", _directory]);
        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("error: model type 'gpt5' is not one of ", result.Error.Trim());
        Assert.False(File.Exists(Path.Combine(_directory, "config.json")));
    }

    /// <summary>The logits `peerz model logits` prints for <paramref name="tokens"/>.</summary>
    private static async Task<float[][]> PrintedLogitsAsync(string model, int[] tokens)
    {
        var logits = await ToolProcess.RunAsync("peerz", ["model", "logits", "--model", model, "--token-ids", string.Join(',', tokens)]);
        Assert.True(logits.ExitCode == 0, logits.Error);
        using var printed = JsonDocument.Parse(logits.Output);
        return printed.RootElement.GetProperty("logits").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetSingle()).ToArray()).ToArray();
    }

    public void Dispose() => TempDirectory.Delete(_directory);
}
