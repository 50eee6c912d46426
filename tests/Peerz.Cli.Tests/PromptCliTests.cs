using Peerz.Testing;
using Peerz.Testing.Processes;

namespace Peerz.Cli.Tests;

/// <summary>
/// `peerz finetune --deep` writes soft prompts that `peerz generate --prompts` takes on KV-cached sessions, with
/// `--speculative` too: greedy, so both print the same text.
/// </summary>
[Trait("Category", "Process")]
public sealed class PromptCliTests : IDisposable
{
    private readonly string _directory = TempDirectory.Create("prompt-cli");

    [Fact]
    public async Task Deep_prompts_trained_by_finetune_generate_the_same_text_with_and_without_speculative_decoding()
    {
        var model = Path.Combine(_directory, "llama");
        var init = await ToolProcess.RunAsync("peerz", ["model", "init-tiny", "--random", "--layers", "2", "--hidden", "32", "--out", model]);
        Assert.True(init.ExitCode == 0, init.Error);
        var data = Path.Combine(_directory, "data.txt");
        File.WriteAllText(data, string.Concat(Enumerable.Repeat("the quick brown fox jumps over the lazy dog. ", 20)));
        var prompts = Path.Combine(_directory, "prompts.safetensors");
        var train = await ToolProcess.RunAsync("peerz", ["finetune", "--local", "--model", model, "--deep", "--prefix-length", "4", "--data", data,
            "--steps", "3", "--sequence-length", "8", "--batch-size", "2", "--learning-rate", "0.1", "--out", prompts]);
        Assert.True(train.ExitCode == 0, train.Error);
        Assert.True(File.Exists(prompts));

        string[] generate = ["generate", "--local", "--model", model, "--prompts", prompts, "--prompt", "the quick", "--max-new-tokens", "12"];
        var plain = await ToolProcess.RunAsync("peerz", generate);
        Assert.True(plain.ExitCode == 0, plain.Error);
        var speculative = await ToolProcess.RunAsync("peerz", [.. generate, "--speculative"]);
        Assert.True(speculative.ExitCode == 0, speculative.Error);
        Assert.Equal(plain.Output, speculative.Output);
        Assert.Contains("speculative (", speculative.Error);
    }

    public void Dispose() => TempDirectory.Delete(_directory);
}
