using System.Text.Json;
using Peerz.Model;
using Peerz.Settlement.Tests.Support;
using Peerz.Testing;

namespace Peerz.Settlement.Tests.Cli;

/// <summary>
/// `peerz model init-tiny --random --model-type bloom` writes a BLOOM checkpoint, and `peerz model logits` prints the
/// logits of the local forward pass that Peerz.Model.Tests checks against the independent float64 BLOOM reference.
/// </summary>
public sealed class ModelArchitectureCliTests : IDisposable
{
    private readonly string _directory = TempDirectory.Create("model-architecture-cli");

    [Fact]
    public async Task A_random_bloom_model_is_written_with_bloom_config_names_and_its_logits_are_printed()
    {
        var model = Path.Combine(_directory, "bloom");
        var init = await ToolProcess.RunAsync("peerz", ["model", "init-tiny", "--random", "--model-type", "bloom", "--layers", "3", "--hidden", "48", "--heads", "6", "--out", model]);
        Assert.True(init.ExitCode == 0, init.Error);
        Assert.Contains("3-block tiny bloom (hidden 48", init.Output);
        using (var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(model, "config.json"))))
        {
            var root = config.RootElement;
            Assert.Equal(("bloom", 3, 6, 48), (root.GetProperty("model_type").GetString(), root.GetProperty("n_layer").GetInt32(), root.GetProperty("n_head").GetInt32(), root.GetProperty("hidden_size").GetInt32()));
        }

        int[] tokens = [5, 300, 42, 7];
        var logits = await ToolProcess.RunAsync("peerz", ["model", "logits", "--model", model, "--token-ids", string.Join(',', tokens)]);
        Assert.True(logits.ExitCode == 0, logits.Error);
        using var printed = JsonDocument.Parse(logits.Output);
        var rows = printed.RootElement.GetProperty("logits").EnumerateArray().Select(row => row.EnumerateArray().Select(v => v.GetSingle()).ToArray()).ToArray();
        using var local = LocalModel.Load(model);
        Assert.Equal(tokens.Length, rows.Length);
        Assert.All(rows, row => Assert.Equal(local.Checkpoint.Config.VocabSize, row.Length));
        Assert.True(Arrays.MaxAbsDiff(local.Logits(tokens), rows) <= 1e-6);
    }

    public void Dispose() => TempDirectory.Delete(_directory);
}
