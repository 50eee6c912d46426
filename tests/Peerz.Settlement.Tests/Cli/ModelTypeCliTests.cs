using System.Text.Json;
using Peerz.Model;
using Peerz.Settlement.Tests.Support;
using Peerz.Testing;

namespace Peerz.Settlement.Tests.Cli;

/// <summary>`peerz model init-tiny --random --model-type T` writes a checkpoint of that architecture that `peerz model logits` serves.</summary>
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
        var logits = await ToolProcess.RunAsync("peerz", ["model", "logits", "--model", _directory, "--token-ids", string.Join(',', tokens)]);
        Assert.True(logits.ExitCode == 0, logits.Error);
        using var printed = JsonDocument.Parse(logits.Output);
        var rows = printed.RootElement.GetProperty("logits").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetSingle()).ToArray()).ToArray();
        // The same checkpoint loaded in this process (float32 values survive JSON exactly).
        using var local = LocalModel.Load(_directory);
        Assert.Equal(local.Logits(tokens), rows);
    }

    [Fact]
    public async Task An_unknown_model_type_is_one_error_line()
    {
        var result = await ToolProcess.RunAsync("peerz", ["model", "init-tiny", "--random", "--model-type", "gpt5", "--out", _directory]);
        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("error: model type 'gpt5' is not one of ", result.Error.Trim());
        Assert.False(File.Exists(Path.Combine(_directory, "config.json")));
    }

    public void Dispose() => TempDirectory.Delete(_directory);
}
