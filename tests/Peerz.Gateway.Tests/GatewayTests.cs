using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Peerz.Gateway.Tests;

/// <summary>The OpenAI-compatible API on a real Kestrel socket (127.0.0.1), backed by the local tiny model.</summary>
public sealed class GatewayTests : IAsyncLifetime
{
    private LocalGateway _gateway = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _gateway = await LocalGateway.StartAsync();
        _http = _gateway.Http;
    }

    [Fact]
    public async Task Models_lists_the_served_model()
    {
        using var models = JsonDocument.Parse(await _http.GetStringAsync("/v1/models"));
        Assert.Equal("tiny", models.RootElement.GetProperty("data")[0].GetProperty("id").GetString());
    }

    [Fact]
    public async Task A_greedy_completion_returns_the_local_generators_text_and_usage()
    {
        const string prompt = "The provider serves";
        var (expected, promptTokens) = await _gateway.GreedyAsync(prompt, 8);

        using var response = await _http.PostAsJsonAsync("/v1/completions", new { model = "tiny", prompt, max_tokens = 8, temperature = 0 });
        response.EnsureSuccessStatusCode();
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var choice = body.RootElement.GetProperty("choices")[0];
        Assert.Equal(expected, choice.GetProperty("text").GetString());
        Assert.Equal("length", choice.GetProperty("finish_reason").GetString());
        Assert.Equal(promptTokens, body.RootElement.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(8, body.RootElement.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    [Fact]
    public async Task Streamed_chat_chunks_add_up_to_the_unstreamed_answer()
    {
        object Request(bool stream) => new { messages = new[] { new { role = "user", content = "hello" } }, max_tokens = 10, temperature = 0, stream, stream_options = new { include_usage = true } };
        using var whole = JsonDocument.Parse(await (await _http.PostAsJsonAsync("/v1/chat/completions", Request(false))).Content.ReadAsStringAsync());
        var expected = whole.RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString();

        using var response = await _http.PostAsJsonAsync("/v1/chat/completions", Request(true));
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var events = (await response.Content.ReadAsStringAsync()).Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Select(e => e["data: ".Length..]).ToList();
        Assert.Equal("[DONE]", events[^1]);
        var streamed = new StringBuilder();
        var completionTokens = 0;
        foreach (var data in events[..^1])
        {
            using var chunk = JsonDocument.Parse(data);
            foreach (var choice in chunk.RootElement.GetProperty("choices").EnumerateArray())
                if (choice.GetProperty("delta").TryGetProperty("content", out var content)) streamed.Append(content.GetString());
            if (chunk.RootElement.TryGetProperty("usage", out var usage)) completionTokens = usage.GetProperty("completion_tokens").GetInt32();
        }
        Assert.Equal(expected, streamed.ToString());
        Assert.Equal(10, completionTokens);
    }

    [Theory]
    [InlineData("{", 400, null)]
    [InlineData("""{"prompt":"x","max_tokens":-1}""", 400, "max_tokens")]
    [InlineData("""{"prompt":"x","temperature":"hot"}""", 400, "temperature")]
    [InlineData("""{"prompt":["a","b"]}""", 400, "prompt")]
    [InlineData("""{"model":"gpt-4","prompt":"x"}""", 404, "model")]
    [InlineData("""{"max_tokens":3}""", 400, "prompt")]
    public async Task Bad_requests_get_openai_style_errors(string body, int status, string? param)
    {
        using var response = await _http.PostAsync("/v1/completions", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal((HttpStatusCode)status, response.StatusCode);
        using var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.False(string.IsNullOrEmpty(error.RootElement.GetProperty("error").GetProperty("message").GetString()));
        if (param is not null) Assert.Equal(param, error.RootElement.GetProperty("error").GetProperty("param").GetString());
    }

    public async Task DisposeAsync() => await _gateway.DisposeAsync();
}
