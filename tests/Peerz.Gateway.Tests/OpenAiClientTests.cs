using System.Text.Json;

namespace Peerz.Gateway.Tests;

/// <summary>
/// The gateway through the unmodified official `openai` npm package (js/openai-client.mjs, Node 22):
/// completions, chat, streamed chat and an error, checked against the tiny model run without the gateway.
/// </summary>
[Trait("Category", "JavaScript")]
public sealed class OpenAiClientTests : IAsyncLifetime
{
    private LocalGateway _gateway = null!;

    public async Task InitializeAsync() => _gateway = await LocalGateway.StartAsync();

    [Fact]
    public async Task The_official_openai_client_gets_the_models_greedy_text_usage_streams_and_errors()
    {
        const string prompt = "Blocks of the swarm";
        var script = Path.Combine(RepositoryRoot.Path, "tests", "Peerz.Gateway.Tests", "js", "openai-client.mjs");
        var run = await NodeScript.RunAsync(script, [_gateway.BaseUrl + "/v1", LocalGateway.ModelId, prompt], TimeSpan.FromSeconds(60));
        Assert.True(run.ExitCode == 0, run.Error);
        using var result = JsonDocument.Parse(run.Output);
        var root = result.RootElement;

        Assert.Equal([LocalGateway.ModelId], root.GetProperty("models").EnumerateArray().Select(m => m.GetString()));

        var (completionText, promptTokens) = await _gateway.GreedyAsync(prompt, 8);
        var completion = root.GetProperty("completion");
        Assert.Equal(completionText, completion.GetProperty("text").GetString());
        Assert.Equal("length", completion.GetProperty("finish_reason").GetString());
        AssertUsage(completion.GetProperty("usage"), promptTokens, 8);

        // The chat prompt is the gateway's documented role-tagged template (docs/gateway.md).
        var (chatText, chatPromptTokens) = await _gateway.GreedyAsync($"<|user|>\n{prompt}\n<|assistant|>\n", 10);
        var chat = root.GetProperty("chat");
        Assert.Equal("assistant", chat.GetProperty("role").GetString());
        Assert.Equal(chatText, chat.GetProperty("content").GetString());
        AssertUsage(chat.GetProperty("usage"), chatPromptTokens, 10);
        Assert.Equal("local", chat.GetProperty("route").GetString());

        var stream = root.GetProperty("stream");
        var deltas = stream.GetProperty("deltas").EnumerateArray().Select(d => d.GetString()).ToList();
        Assert.True(deltas.Count > 1, $"expected several streamed chunks, got {deltas.Count}");
        Assert.Equal(chatText, string.Concat(deltas));
        Assert.Equal("length", stream.GetProperty("finish_reason").GetString());
        AssertUsage(stream.GetProperty("usage"), chatPromptTokens, 10);
        Assert.NotEmpty(stream.GetProperty("routes").EnumerateArray());
        Assert.All(stream.GetProperty("routes").EnumerateArray(), r => Assert.Equal("local", r.GetString()));

        var error = root.GetProperty("error");
        Assert.Equal("NotFoundError", error.GetProperty("class").GetString());
        Assert.Equal(404, error.GetProperty("status").GetInt32());
        Assert.Equal("model", error.GetProperty("param").GetString());
        Assert.Contains("no-such-model", error.GetProperty("message").GetString());
    }

    private static void AssertUsage(JsonElement usage, int prompt, int completion)
    {
        Assert.Equal(prompt, usage.GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(completion, usage.GetProperty("completion_tokens").GetInt32());
        Assert.Equal(prompt + completion, usage.GetProperty("total_tokens").GetInt32());
    }

    public async Task DisposeAsync() => await _gateway.DisposeAsync();
}
