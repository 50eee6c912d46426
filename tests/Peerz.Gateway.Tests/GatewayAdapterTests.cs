using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Peerz.Testing;

namespace Peerz.Gateway.Tests;

/// <summary>
/// LoRA adapters behind the OpenAI API (`peerz serve --adapter NAME=DIR`): each is one more model, "tiny:NAME", over the
/// same blocks. A request naming it generates what the adapter generates in one process; the base model is untouched,
/// and two adapters answer as themselves.
/// </summary>
public sealed class GatewayAdapterTests : IAsyncLifetime
{
    private static readonly string[] Modules = ["q_proj", "v_proj", "down_proj"];
    private LocalGateway _gateway = null!;

    public async Task InitializeAsync() => _gateway = await LocalGateway.StartAsync(adapters: config =>
        [("formal", LoraTestAdapters.Trained(config, Modules, seed: 3)), ("casual", LoraTestAdapters.Trained(config, Modules, seed: 4))]);

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    [Fact]
    public async Task Models_lists_the_base_model_then_each_adapter()
    {
        using var models = JsonDocument.Parse(await _gateway.Http.GetStringAsync("/v1/models"));
        Assert.Equal(["tiny", "tiny:formal", "tiny:casual"], models.RootElement.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString()));
    }

    [Fact]
    public async Task Each_model_generates_its_own_local_greedy_text()
    {
        const string prompt = "The adapter says";
        var expected = new Dictionary<string, string>
        {
            ["tiny"] = (await _gateway.GreedyAsync(prompt, 12)).Text,
            ["tiny:formal"] = (await _gateway.GreedyAsync(prompt, 12, _gateway.Adapters["formal"])).Text,
            ["tiny:casual"] = (await _gateway.GreedyAsync(prompt, 12, _gateway.Adapters["casual"])).Text,
        };
        // Otherwise the comparison could not tell the models apart.
        Assert.Equal(3, expected.Values.Distinct().Count());

        // Interleaved, so an adapter session and a plain one follow each other on the same blocks.
        foreach (var model in new[] { "tiny:formal", "tiny", "tiny:casual", "tiny:formal" })
        {
            using var response = await _gateway.Http.PostAsJsonAsync("/v1/completions", new { model, prompt, max_tokens = 12, temperature = 0 });
            response.EnsureSuccessStatusCode();
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.Equal(model, body.RootElement.GetProperty("model").GetString());
            Assert.Equal(expected[model], body.RootElement.GetProperty("choices")[0].GetProperty("text").GetString());
        }
    }

    [Fact]
    public async Task An_unknown_model_is_a_404_naming_every_served_one()
    {
        using var response = await _gateway.Http.PostAsJsonAsync("/v1/completions", new { model = "tiny:other", prompt = "x", max_tokens = 1 });
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("The model 'tiny:other' does not exist; this gateway serves 'tiny', 'tiny:formal', 'tiny:casual'",
            body.RootElement.GetProperty("error").GetProperty("message").GetString());
    }
}
