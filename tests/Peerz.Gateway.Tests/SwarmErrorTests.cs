using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Peerz.Client.Remote;
using Peerz.Protocol.Wire;

namespace Peerz.Gateway.Tests;

/// <summary>
/// Failures of the swarm reach API callers (and the chat page) as OpenAI-format errors saying what happened: a status
/// before the first token, an error event that ends the stream after it. The model runs for real; its pipeline fails
/// the way the swarm's does once the client's replays are spent.
/// </summary>
public sealed class SwarmErrorTests
{
    private static object Chat(bool stream) => new { model = "tiny", messages = new[] { new { role = "user", content = "hello" } }, max_tokens = 8, temperature = 0, stream };

    [Fact]
    public async Task A_provider_asking_for_payment_before_the_first_token_is_a_402_saying_to_deposit()
    {
        await using var gateway = await LocalGateway.StartAsync(wrap: p => new FailingPipeline(p, 0, new PeerzRequestException(ErrorCode.PaymentRequired, "escrow too low")));
        using var response = await gateway.Http.PostAsJsonAsync("/v1/chat/completions", Chat(stream: true));
        Assert.Equal(HttpStatusCode.PaymentRequired, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var error = body.RootElement.GetProperty("error");
        Assert.Equal("payment_required", error.GetProperty("type").GetString());
        Assert.Equal("payment required: PaymentRequired: escrow too low (deposit PRZ into the escrow for the gateway's wallet: peerz deposit)", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Providers_failing_mid_stream_end_the_stream_with_an_error_event_and_no_done()
    {
        await using var gateway = await LocalGateway.StartAsync(wrap: p => new FailingPipeline(p, 3, new IOException("connection reset by provider")));
        using var response = await gateway.Http.PostAsJsonAsync("/v1/chat/completions", Chat(stream: true));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var events = (await response.Content.ReadAsStringAsync()).Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Select(e => e["data: ".Length..]).ToList();
        Assert.DoesNotContain("[DONE]", events);
        Assert.Contains(events[..^1], e => JsonDocument.Parse(e).RootElement.TryGetProperty("choices", out _));
        using var last = JsonDocument.Parse(events[^1]);
        Assert.Equal("swarm_error", last.RootElement.GetProperty("error").GetProperty("type").GetString());
        Assert.Equal("the swarm did not complete the request: connection reset by provider", last.RootElement.GetProperty("error").GetProperty("message").GetString());
    }

    [Fact]
    public async Task Providers_failing_during_a_whole_answer_are_a_502()
    {
        await using var gateway = await LocalGateway.StartAsync(wrap: p => new FailingPipeline(p, 3, new TimeoutException("the provider did not answer within 30 s")));
        using var response = await gateway.Http.PostAsJsonAsync("/v1/chat/completions", Chat(stream: false));
        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("the swarm did not complete the request: the provider did not answer within 30 s", body.RootElement.GetProperty("error").GetProperty("message").GetString());
    }
}
