using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Peerz.Testing;
using Peerz.Testing.Processes;

namespace Peerz.Cli.Tests;

/// <summary>
/// `peerz finetune --method lora` on a Falcon checkpoint: without --target-modules it adapts PEFT's default for the model
/// type (query_key_value), writes a PEFT directory that `peerz generate --adapter` takes (with `--speculative` too), and a Llama projection name
/// is one error line naming the model's own projections; `peerz serve --adapter NAME=DIR` serves it as a model of its own.
/// </summary>
[Trait("Category", "Process")]
public sealed class LoraCliTests : IDisposable
{
    private readonly string _directory = TempDirectory.Create("lora-cli");

    [Fact]
    public async Task A_falcon_adapter_trains_on_the_fused_projection_by_default_and_generates()
    {
        var (model, data) = await FalconAndDataAsync();
        var (adapter, train) = await TrainAsync(model, data);
        Assert.Contains("step 3/3 loss", train.Output);
        Assert.Contains("on query_key_value of 2 blocks", train.Error);
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(adapter, "adapter_config.json")))!;
        Assert.Equal(["query_key_value"], config["target_modules"]!.AsArray().Select(m => (string)m!));

        string[] generateArguments = ["generate", "--local", "--model", model, "--adapter", adapter, "--prompt", "the quick", "--max-new-tokens", "6"];
        var generate = await ToolProcess.RunAsync("peerz", generateArguments);
        Assert.True(generate.ExitCode == 0, generate.Error);
        // Greedy, so speculative decoding with the adapter must print the same text.
        var speculative = await ToolProcess.RunAsync("peerz", [.. generateArguments, "--speculative"]);
        Assert.True(speculative.ExitCode == 0, speculative.Error);
        Assert.Equal(generate.Output, speculative.Output);
        Assert.Contains("speculative (", speculative.Error);
    }

    [Fact]
    public async Task A_llama_projection_for_a_falcon_model_is_one_error_line_naming_falcons_projections()
    {
        var (model, data) = await FalconAndDataAsync();

        var result = await ToolProcess.RunAsync("peerz", ["finetune", "--local", "--model", model, "--method", "lora", "--target-modules", "q_proj", "--data", data, "--steps", "1"]);
        Assert.Equal(1, result.ExitCode);
        // Progress lines ("loading blocks 1/2") come first on stderr; the error is the last line, with no stack trace.
        var lines = result.Error.Trim().Split('\n');
        Assert.Equal("error: --target-modules: falcon blocks have no q_proj; choose among query_key_value, dense, dense_h_to_4h, dense_4h_to_h", lines[^1]);
        Assert.DoesNotContain(lines, l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_gateway_serves_an_adapter_as_a_model_of_its_own_that_completes_as_generate_does()
    {
        var (model, data) = await FalconAndDataAsync();
        var (adapter, _) = await TrainAsync(model, data);
        const string prompt = "the quick";
        var generate = await ToolProcess.RunAsync("peerz", ["generate", "--local", "--model", model, "--adapter", adapter, "--prompt", prompt, "--max-new-tokens", "6"]);
        Assert.True(generate.ExitCode == 0, generate.Error);

        using var gateway = PeerzProcess.Start(PeerzProcess.AssemblyPath("client/Peerz.Cli", "peerz"),
            ["serve", "--local", "--model", model, "--model-id", "falcon", "--adapter", $"tuned={adapter}", "--url", "http://127.0.0.1:0"]);
        var serving = gateway.WaitForLine("serving ", TimeSpan.FromSeconds(60));
        Assert.StartsWith("serving falcon, falcon:tuned on http://127.0.0.1:", serving);
        using var http = new HttpClient { BaseAddress = new Uri(serving.Split(' ')[4]), Timeout = TimeSpan.FromSeconds(60) };
        using var models = JsonDocument.Parse(await http.GetStringAsync("/v1/models"));
        Assert.Equal(["falcon", "falcon:tuned"], models.RootElement.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString()));
        using var response = await http.PostAsJsonAsync("/v1/completions", new { model = "falcon:tuned", prompt, max_tokens = 6, temperature = 0 });
        response.EnsureSuccessStatusCode();
        using var completion = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(generate.Output.TrimEnd('\n'), prompt + completion.RootElement.GetProperty("choices")[0].GetProperty("text").GetString());
    }

    [Theory]
    [InlineData("tuned", "error: --adapter: 'tuned' is not NAME=DIRECTORY (NAME: 1–64 letters, digits, '.', '_' or '-')")]
    [InlineData("a b=dir", "error: --adapter: 'a b=dir' is not NAME=DIRECTORY (NAME: 1–64 letters, digits, '.', '_' or '-')")]
    public async Task A_malformed_gateway_adapter_is_one_error_line(string adapter, string error)
    {
        var (model, _) = await FalconAndDataAsync();
        var result = await ToolProcess.RunAsync("peerz", ["serve", "--local", "--model", model, "--adapter", adapter, "--url", "http://127.0.0.1:0"]);
        Assert.Equal(1, result.ExitCode);
        Assert.Equal(error, result.Error.Trim().Split('\n')[^1]);
    }

    /// <summary>A 3-step rank-2 LoRA fine-tune of <paramref name="model"/> by `peerz finetune`, written as a PEFT directory.</summary>
    private async Task<(string Adapter, ProcessResult Train)> TrainAsync(string model, string data)
    {
        var adapter = Path.Combine(_directory, "adapter");
        var train = await ToolProcess.RunAsync("peerz", ["finetune", "--local", "--model", model, "--method", "lora", "--rank", "2", "--data", data,
            "--steps", "3", "--sequence-length", "8", "--batch-size", "2", "--out", adapter]);
        Assert.True(train.ExitCode == 0, train.Error);
        return (adapter, train);
    }

    /// <summary>A 2-block random Falcon written by `peerz model init-tiny`, and a text file to train on.</summary>
    private async Task<(string Model, string Data)> FalconAndDataAsync()
    {
        var model = Path.Combine(_directory, "falcon");
        var init = await ToolProcess.RunAsync("peerz", ["model", "init-tiny", "--random", "--model-type", "falcon", "--layers", "2", "--hidden", "32", "--out", model]);
        Assert.True(init.ExitCode == 0, init.Error);
        var data = Path.Combine(_directory, "data.txt");
        File.WriteAllText(data, string.Concat(Enumerable.Repeat("the quick brown fox jumps over the lazy dog. ", 20)));
        return (model, data);
    }

    public void Dispose() => TempDirectory.Delete(_directory);
}
