using System.Text.Json;
using System.Text.RegularExpressions;
using Peerz.Model.Tiny;
using Peerz.Testing.Processes;
using Peerz.Testing.Prometheus;
using Xunit.Abstractions;

namespace Peerz.Integration.Tests;

/// <summary>
/// The chat page in a real browser: two `peerz-provider` processes split the tiny model, `peerz serve`
/// runs the gateway over them, and chromium (playwright-core, js/chat-page.mjs) sends a prompt and
/// watches the reply stream in with the route through the swarm. Saves a screenshot.
/// </summary>
[Trait("Category", "Browser")]
public sealed class ChatPageBrowserTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly string _home = TempDirectory.Create("chat-page");
    private readonly List<PeerzProcess> _processes = [];
    private string _model = "";

    /// <summary>A tiny checkpoint with a tokenizer, which the gateway needs (TinyModelFixture's has none).</summary>
    public Task InitializeAsync()
    {
        _model = Path.Combine(_home, "tiny");
        TinyCheckpoint.Write(_model, TinyModelFixture.TestShape with { Vocab = 512 });
        return Task.CompletedTask;
    }

    /// <summary>Runs the shipped trained model (8 blocks), so the reply, and the README's screenshot of this page, read as text.</summary>
    [ChromiumFact]
    public async Task The_chat_page_streams_the_reply_and_shows_the_route_and_payment()
    {
        var trained = Path.Combine(_home, "trained");
        TrainedTinyModel.WriteTo(trained);
        var (first, firstAddress) = ProviderProcess.Start(trained, Path.Combine(_home, "a.key"), "0:4");
        _processes.Add(first);
        var (second, secondAddress) = ProviderProcess.Start(trained, Path.Combine(_home, "b.key"), "4:8", "--bootstrap", firstAddress.ToString());
        _processes.Add(second);
        var (gateway, url) = GatewayProcess.Start("--model", trained, "--model-id", "tiny", "--bootstrap", firstAddress.ToString(), "--url", "http://127.0.0.1:0");
        _processes.Add(gateway);

        var screenshot = BrowserPage.Screenshot("chat-page.png");
        var script = BrowserPage.Script("chat-page.mjs");
        var run = await NodeScript.RunAsync(script, [url, "Once upon a time, there was a", screenshot, ChromiumFactAttribute.ExecutablePath], TimeSpan.FromSeconds(90));
        Assert.True(run.ExitCode == 0, run.Error + "\n" + gateway.Output);
        output.WriteLine($"screenshot: {screenshot}");
        using var result = JsonDocument.Parse(run.Output);
        var page = result.RootElement;
        Assert.Empty(page.GetProperty("consoleErrors").EnumerateArray());
        Assert.Equal(200, page.GetProperty("status").GetInt32());

        // What the gateway streamed (the SSE body the browser received) ...
        var deltas = new List<string>();
        var routes = new HashSet<string>();
        var usage = 0;
        foreach (var data in page.GetProperty("body").GetString()!.Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Select(e => e["data: ".Length..]).Where(d => d != "[DONE]"))
        {
            using var chunk = JsonDocument.Parse(data);
            foreach (var choice in chunk.RootElement.GetProperty("choices").EnumerateArray())
                if (choice.GetProperty("delta").TryGetProperty("content", out var content)) deltas.Add(content.GetString()!);
            if (chunk.RootElement.TryGetProperty("peerz", out var peerz)) routes.Add(peerz.GetProperty("route").GetString()!);
            if (chunk.RootElement.TryGetProperty("usage", out var u)) usage = u.GetProperty("completion_tokens").GetInt32();
        }

        // ... is what the page shows, and it appeared piece by piece, before the stream ended.
        var reply = page.GetProperty("reply").GetString()!;
        Assert.Equal(string.Concat(deltas), reply);
        Assert.True(deltas.Count(d => d.Length > 0) >= 2, $"the gateway streamed {deltas.Count} pieces");
        var streamEnded = page.GetProperty("streamEnded").GetDouble();
        var shown = page.GetProperty("updates").EnumerateArray()
            .Where(u => u.GetProperty("at").GetDouble() <= streamEnded)
            .Select(u => u.GetProperty("text").GetString()!)
            .Where(text => text.Length > 0 && reply.StartsWith(text, StringComparison.Ordinal))
            .Distinct().ToList();
        output.WriteLine($"the reply grew in {shown.Count} DOM updates ({deltas.Count} streamed pieces) before the stream ended");
        Assert.True(shown.Count >= 2, $"expected the reply to grow in at least two DOM updates before the stream ended; saw {page.GetProperty("updates")}");

        // Replies render as markdown, built from text nodes only: the sample's <script> and code stay text.
        Assert.Equal(
            "<h3>Title</h3><p>Some <strong>bold</strong>, <em>italic</em> and <code>a &lt; b</code> code,<br>a "
            + "<a href=\"https://example.org/x\" rel=\"noopener noreferrer\" target=\"_blank\">link</a> and &lt;script&gt;alert(1)&lt;/script&gt;.</p>"
            + "<ul><li>one</li><li>two</li></ul><ol><li>first</li></ol><blockquote><p>quoted</p></blockquote>"
            + "<pre><code class=\"language-js\">let x = '&lt;b&gt;';</code></pre>",
            page.GetProperty("markdown").GetString());

        // The route through both providers, each with its span, as the page displays it.
        var peerA = firstAddress.ToString().Split("/p2p/")[1];
        var peerB = secondAddress.ToString().Split("/p2p/")[1];
        var expectedRoute = $"{peerA[^8..]}[0,4) -> {peerB[^8..]}[4,8)";
        Assert.Equal(expectedRoute, page.GetProperty("route").GetString());
        Assert.Equal([expectedRoute], routes);
        Assert.Equal("not paid (no chain configured)", page.GetProperty("paid").GetString());
        Assert.Equal(usage.ToString(), page.GetProperty("tokens").GetString());
        Assert.True(File.Exists(screenshot) && new FileInfo(screenshot).Length > 1000, "no screenshot saved");

        // The same request counted on the gateway's /metrics.
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var metrics = PrometheusText.Parse(await http.GetStringAsync(url + "/metrics"));
        Assert.Equal(1, metrics.Value("peerz_gateway_requests_total", ("endpoint", "chat_completions"), ("status", "200")));
        Assert.Equal(usage, metrics.Value("peerz_gateway_tokens_generated_total", ("endpoint", "chat_completions"), ("model", "tiny")));
    }

    /// <summary>
    /// Stop in the page aborts the fetch; the gateway sees the client go, cancels generation and closes the remote
    /// sessions: both providers' open-session gauges return to 0 and their token counters stop well short of max_tokens.
    /// </summary>
    [ChromiumFact]
    public async Task Stop_aborts_the_reply_and_the_gateway_closes_the_providers_sessions()
    {
        const int maxTokens = 500;
        var (first, firstAddress) = ProviderProcess.Start(_model, Path.Combine(_home, "a.key"), "0:2", "--metrics-listen", "http://127.0.0.1:0");
        _processes.Add(first);
        var (second, secondAddress) = ProviderProcess.Start(_model, Path.Combine(_home, "b.key"), "2:4", "--bootstrap", firstAddress.ToString(), "--metrics-listen", "http://127.0.0.1:0");
        _processes.Add(second);
        var (gateway, url) = GatewayProcess.Start("--model", _model, "--model-id", "tiny", "--bootstrap", firstAddress.ToString(), "--url", "http://127.0.0.1:0", "--max-tokens-per-request", maxTokens.ToString());
        _processes.Add(gateway);

        var screenshot = BrowserPage.Screenshot("chat-stop.png");
        var script = BrowserPage.Script("chat-stop.mjs");
        var run = await NodeScript.RunAsync(script, [url, "Tell me everything about the blocks you serve.", maxTokens.ToString(), screenshot, ChromiumFactAttribute.ExecutablePath], TimeSpan.FromSeconds(90));
        Assert.True(run.ExitCode == 0, run.Error + "\n" + gateway.Output);
        output.WriteLine($"screenshot: {screenshot}");
        using var result = JsonDocument.Parse(run.Output);
        var page = result.RootElement;
        Assert.Empty(page.GetProperty("consoleErrors").EnumerateArray());
        Assert.Equal(["tiny"], page.GetProperty("models").EnumerateArray().Select(m => m.GetString()));

        // The controls went into the request.
        var request = page.GetProperty("request");
        Assert.Equal(maxTokens, request.GetProperty("max_tokens").GetInt32());
        Assert.Equal(0.7, request.GetProperty("temperature").GetDouble());
        Assert.Equal(0.9, request.GetProperty("top_p").GetDouble());
        Assert.Equal("tiny", request.GetProperty("model").GetString());

        // The page kept what had arrived, marked it stopped, and it grew no more.
        Assert.True(page.GetProperty("stopped").GetBoolean());
        Assert.Equal(page.GetProperty("atStop").GetString(), page.GetProperty("reply").GetString());
        Assert.True(page.GetProperty("stopDisabled").GetBoolean());
        Assert.Equal("", page.GetProperty("notice").GetString());
        var peerA = firstAddress.ToString().Split("/p2p/")[1];
        var peerB = secondAddress.ToString().Split("/p2p/")[1];
        Assert.Equal([$"{peerA[^8..]}[0,2)", $"{peerB[^8..]}[2,4)"], page.GetProperty("hops").EnumerateArray().Select(h => h.GetString()));
        // Each hop with the gateway's measured round trip to its provider (routing pings every candidate).
        Assert.All(page.GetProperty("latencies").EnumerateArray(), latency => Assert.Matches(@"^ · \d+\.\d ms$", latency.GetString()));
        Assert.Equal(2, page.GetProperty("latencies").GetArrayLength());

        // Both providers closed the session, and stopped computing long before max_tokens.
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        foreach (var provider in new[] { first, second })
        {
            var metricsUrl = ProviderProcess.MetricsUrl(provider) ?? throw new InvalidOperationException("no metrics line:\n" + provider.Output);
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
            PrometheusText scraped;
            while ((scraped = PrometheusText.Parse(await http.GetStringAsync(metricsUrl))).Value("peerz_provider_sessions_open") > 0 && DateTime.UtcNow < deadline)
                await Task.Delay(100);
            Assert.Equal(0, scraped.Value("peerz_provider_sessions_open"));
            Assert.Equal(1, scraped.Value("peerz_provider_sessions_opened_total"));
            var tokens = scraped.Value("peerz_provider_tokens_total", ("protocol", "inference"));
            await Task.Delay(1000);
            Assert.Equal(tokens, PrometheusText.Parse(await http.GetStringAsync(metricsUrl)).Value("peerz_provider_tokens_total", ("protocol", "inference")));
            output.WriteLine($"provider computed {tokens} tokens before the stop (max_tokens {maxTokens})");
            Assert.True(tokens < maxTokens, $"the provider computed {tokens} tokens");
        }
    }

    /// <summary>
    /// A provider lost mid-reply is a notice, and the reply still completes: two providers serve [2,4); once the reply
    /// streams, the page's own last hop is SIGKILLed; the gateway replays the session on the other, the page names the lost
    /// provider, the replacement and the positions replayed, and the text is what a local gateway answers to the same request.
    /// </summary>
    [ChromiumFact]
    public async Task A_provider_lost_mid_reply_is_a_notice_and_the_reply_completes_as_the_local_run()
    {
        const int maxTokens = 120;
        const string prompt = "Tell me about the blocks.";
        var (first, firstAddress) = ProviderProcess.Start(_model, Path.Combine(_home, "a.key"), "0:2");
        _processes.Add(first);
        var (second, secondAddress) = ProviderProcess.Start(_model, Path.Combine(_home, "b.key"), "2:4", "--bootstrap", firstAddress.ToString());
        _processes.Add(second);
        var (third, thirdAddress) = ProviderProcess.Start(_model, Path.Combine(_home, "c.key"), "2:4", "--bootstrap", firstAddress.ToString());
        _processes.Add(third);
        var (gateway, url) = GatewayProcess.Start("--model", _model, "--model-id", "tiny", "--bootstrap", firstAddress.ToString(), "--url", "http://127.0.0.1:0");
        _processes.Add(gateway);
        var suffixes = new[] { (second, secondAddress), (third, thirdAddress) }.ToDictionary(p => p.Item2.ToString().Split("/p2p/")[1][^8..], p => p.Item1);

        var screenshot = BrowserPage.Screenshot("chat-reroute.png");
        var run = await NodeScript.RunAsync(BrowserPage.Script("chat-reroute.mjs"),
            [url, prompt, maxTokens.ToString(), screenshot, ChromiumFactAttribute.ExecutablePath, .. suffixes.Select(s => $"{s.Key}={s.Value.Id}")], TimeSpan.FromSeconds(150));
        Assert.True(run.ExitCode == 0, run.Error + "\n" + gateway.Output);
        output.WriteLine($"screenshot: {screenshot}");
        using var result = JsonDocument.Parse(run.Output);
        var page = result.RootElement;
        Assert.Empty(page.GetProperty("consoleErrors").EnumerateArray());
        var victim = page.GetProperty("victim").GetString()!;
        var survivor = suffixes.Keys.Single(s => s != victim);
        Assert.True(suffixes[victim].HasExited);

        var notice = page.GetProperty("notice").GetString()!;
        output.WriteLine($"notice: {notice}; the reply had {page.GetProperty("atKill").GetString()!.Length} characters at the kill");
        var match = Regex.Match(notice, $@"^provider {victim}\[2,4\) was lost; replayed (\d+) positions on {survivor}\[2,4\)$");
        Assert.True(match.Success, notice);
        Assert.True(int.Parse(match.Groups[1].Value) > 0);
        Assert.Equal("rerouted", page.GetProperty("noticeClass").GetString());
        Assert.False(page.GetProperty("replyIsError").GetBoolean());
        Assert.Equal($"{survivor}[2,4)", page.GetProperty("hops").EnumerateArray().Last().GetString());

        // The same request to a gateway that runs every block itself: replaying the lost provider's positions on another
        // changes nothing in a greedy reply.
        var (local, localUrl) = GatewayProcess.Start("--local", "--model", _model, "--model-id", "tiny", "--url", "http://127.0.0.1:0");
        _processes.Add(local);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        using var answer = await http.PostAsync(localUrl + "/v1/chat/completions", new StringContent(
            JsonSerializer.Serialize(new { messages = new[] { new { role = "user", content = prompt } }, max_tokens = maxTokens, temperature = 0, top_p = 1 }),
            System.Text.Encoding.UTF8, "application/json"));
        answer.EnsureSuccessStatusCode();
        using var expected = JsonDocument.Parse(await answer.Content.ReadAsStringAsync());
        var expectedText = expected.RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString();
        Assert.Equal(expectedText, page.GetProperty("reply").GetString());
        Assert.Equal(expected.RootElement.GetProperty("usage").GetProperty("completion_tokens").GetInt32().ToString(), page.GetProperty("tokens").GetString());
    }

    /// <summary>
    /// A block nobody can serve is a readable notice, not silence or a bare status: the [2,4) provider is killed before the
    /// gateway starts (its DHT record outlives it, but it answers no ping), so the route cannot be built.
    /// </summary>
    [ChromiumFact]
    public async Task A_missing_span_is_shown_as_a_readable_notice()
    {
        var (first, firstAddress) = ProviderProcess.Start(_model, Path.Combine(_home, "a.key"), "0:2");
        _processes.Add(first);
        var (second, _) = ProviderProcess.Start(_model, Path.Combine(_home, "b.key"), "2:4", "--bootstrap", firstAddress.ToString());
        _processes.Add(second);
        second.Kill();
        var (gateway, url) = GatewayProcess.Start("--model", _model, "--model-id", "tiny", "--bootstrap", firstAddress.ToString(), "--url", "http://127.0.0.1:0");
        _processes.Add(gateway);

        var screenshot = BrowserPage.Screenshot("chat-notice.png");
        var script = BrowserPage.Script("chat-notice.mjs");
        var run = await NodeScript.RunAsync(script, [url, "Anyone there?", screenshot, ChromiumFactAttribute.ExecutablePath], TimeSpan.FromSeconds(90));
        Assert.True(run.ExitCode == 0, run.Error + "\n" + gateway.Output);
        output.WriteLine($"screenshot: {screenshot}");
        using var result = JsonDocument.Parse(run.Output);
        var page = result.RootElement;
        Assert.Empty(page.GetProperty("consoleErrors").EnumerateArray());
        Assert.Equal(503, page.GetProperty("status").GetInt32());
        Assert.Equal("no online provider serves block 2 of model 'tiny' (needed blocks [0, 4)); wait for a provider to join or start one", page.GetProperty("notice").GetString());
        Assert.True(page.GetProperty("replyIsError").GetBoolean());
        Assert.True(page.GetProperty("sendEnabled").GetBoolean());
        Assert.False(first.HasExited);
    }

    public Task DisposeAsync()
    {
        foreach (var process in Enumerable.Reverse(_processes)) process.Dispose();
        TempDirectory.Delete(_home);
        return Task.CompletedTask;
    }
}
