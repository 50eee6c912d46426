using System.Diagnostics;
using System.Reflection;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Peerz.Gateway.Economics;
using Peerz.Gateway.Network;

namespace Peerz.Gateway;

/// <summary>
/// The OpenAI-compatible API: /v1/models, /v1/completions, /v1/chat/completions (with SSE
/// streaming and usage), errors in OpenAI's format, and the chat page at /. A request's "model" picks one of the
/// gateway's engines (the base model and one per LoRA adapter); without one, the first answers.
/// </summary>
public static class GatewayEndpoints
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static void Map(WebApplication app, IReadOnlyList<ICompletionEngine> engines, int maxTokensPerRequest, GatewayMetrics metrics, NetworkView network, EconomicsView economics)
    {
        app.MapGet("/", () => Results.Content(ChatPage.Value, "text/html; charset=utf-8"));
        app.MapGet("/network", () => Results.Content(NetworkPage.Value, "text/html; charset=utf-8"));
        app.MapGet("/markdown.js", () => Results.Content(MarkdownScript.Value, "text/javascript; charset=utf-8"));
        app.MapGet("/v1/network", async (CancellationToken cancellationToken) => Results.Json(await network.GetAsync(cancellationToken), Json));
        app.MapGet("/v1/economics", async (CancellationToken cancellationToken) => Results.Json(await economics.GetAsync(cancellationToken), Json));
        app.MapGet("/v1/models", () => Results.Json(new
        {
            @object = "list",
            data = engines.Select(e => new { id = e.ModelId, @object = "model", created = 0, owned_by = "peerz" }).ToArray(),
        }));
        app.MapPost("/v1/completions", (HttpContext context) => MeteredAsync(context, engines, maxTokensPerRequest, metrics, chat: false));
        app.MapPost("/v1/chat/completions", (HttpContext context) => MeteredAsync(context, engines, maxTokensPerRequest, metrics, chat: true));
    }

    private static async Task MeteredAsync(HttpContext context, IReadOnlyList<ICompletionEngine> engines, int maxTokensPerRequest, GatewayMetrics metrics, bool chat)
    {
        var endpoint = chat ? "chat_completions" : "completions";
        var started = Stopwatch.GetTimestamp();
        try
        {
            if (await HandleAsync(context, engines, maxTokensPerRequest, chat) is var (model, usage)) metrics.Generated(endpoint, model, usage);
        }
        finally
        {
            metrics.Answered(endpoint, context.Response.StatusCode, Stopwatch.GetElapsedTime(started));
        }
    }

    private static readonly Lazy<string> ChatPage = new(() => Resource("index.html"));

    private static readonly Lazy<string> NetworkPage = new(() => Resource("network.html"));

    private static readonly Lazy<string> MarkdownScript = new(() => Resource("markdown.js"));

    private static string Resource(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(name)!;
        return new StreamReader(stream).ReadToEnd();
    }

    /// <summary>Answers one request; returns the model that answered and its token usage, or null when it was refused.</summary>
    private static async Task<(string Model, CompletionUsage Usage)?> HandleAsync(HttpContext context, IReadOnlyList<ICompletionEngine> engines, int maxTokensPerRequest, bool chat)
    {
        ICompletionEngine engine;
        CompletionRequest request;
        bool stream, includeUsage;
        try
        {
            var body = OpenAiRequestReader.Parse(await ReadBodyAsync(context.Request));
            var model = body["model"]?.GetValue<string>();
            engine = model is null ? engines[0] : engines.FirstOrDefault(e => e.ModelId == model)
                ?? throw new OpenAiError(404, $"The model '{model}' does not exist; this gateway serves {string.Join(", ", engines.Select(e => $"'{e.ModelId}'"))}", "model");
            OpenAiRequestReader.RejectUnsupported(body);
            var prompt = chat ? engine.FormatChat(OpenAiRequestReader.Messages(body)) : OpenAiRequestReader.Prompt(body);
            request = OpenAiRequestReader.Completion(body, prompt, maxTokensPerRequest);
            stream = OpenAiRequestReader.Stream(body);
            includeUsage = OpenAiRequestReader.IncludeUsageInStream(body);
        }
        catch (OpenAiError e)
        {
            await e.ToResult().ExecuteAsync(context);
            return null;
        }
        catch (InvalidOperationException e)
        {
            await new OpenAiError(400, e.Message).ToResult().ExecuteAsync(context);
            return null;
        }

        // The first chunk is taken before any byte is written, so a rejected request (e.g. a prompt
        // longer than the context, or no provider for a block) still gets a proper OpenAI error instead of a broken stream.
        var chunks = engine.CompleteAsync(request, context.RequestAborted).GetAsyncEnumerator(context.RequestAborted);
        try
        {
            await chunks.MoveNextAsync();
        }
        catch (Exception e) when ((e as OpenAiError ?? SwarmErrors.From(e)) is { } error)
        {
            await chunks.DisposeAsync();
            await error.ToResult().ExecuteAsync(context);
            return null;
        }
        await using var _ = chunks;

        var id = (chat ? "chatcmpl-" : "cmpl-") + Guid.NewGuid().ToString("N")[..24];
        var created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var kind = chat ? "chat.completion" : "text_completion";
        if (stream)
        {
            context.Response.ContentType = "text/event-stream";
            context.Response.Headers.CacheControl = "no-cache";
            var first = true;
            CompletionUsage? streamed = null;
            try
            {
                do
                {
                    var chunk = chunks.Current;
                    if (chunk.Text.Length > 0 || chunk.FinishReason is not null)
                    {
                        object choice = chat
                            ? new { index = 0, delta = first ? new { role = "assistant", content = chunk.Text } : (object)new { content = chunk.Text }, finish_reason = chunk.FinishReason }
                            : new { index = 0, text = chunk.Text, logprobs = (object?)null, finish_reason = chunk.FinishReason };
                        await WriteEventAsync(context, new { id, @object = chat ? "chat.completion.chunk" : kind, created, model = engine.ModelId, choices = new[] { choice }, peerz = chunk.Details });
                        first = false;
                    }
                    streamed ??= chunk.Usage;
                    if (chunk.Usage is { } usage && includeUsage)
                        await WriteEventAsync(context, new { id, @object = chat ? "chat.completion.chunk" : kind, created, model = engine.ModelId, choices = Array.Empty<object>(), usage = Usage(usage) });
                }
                while (await chunks.MoveNextAsync());
            }
            catch (Exception e) when (SwarmErrors.From(e) is { } error)
            {
                // The status is sent already: the failure ends the stream as an error event (as OpenAI's API does), without [DONE].
                await WriteEventAsync(context, error.Body);
                return null;
            }
            await context.Response.WriteAsync("data: [DONE]\n\n", context.RequestAborted);
            return streamed is null ? null : (engine.ModelId, streamed);
        }

        var text = new StringBuilder();
        string? finish = null;
        CompletionUsage? total = null;
        CompletionDetails? details = null;
        try
        {
            do
            {
                text.Append(chunks.Current.Text);
                finish ??= chunks.Current.FinishReason;
                total ??= chunks.Current.Usage;
                details = chunks.Current.Details ?? details;
            }
            while (await chunks.MoveNextAsync());
        }
        catch (Exception e) when (SwarmErrors.From(e) is { } error)
        {
            await error.ToResult().ExecuteAsync(context);
            return null;
        }
        object result = chat
            ? new { index = 0, message = new { role = "assistant", content = text.ToString() }, logprobs = (object?)null, finish_reason = finish }
            : new { index = 0, text = text.ToString(), logprobs = (object?)null, finish_reason = finish };
        await Results.Json(new { id, @object = kind, created, model = engine.ModelId, choices = new[] { result }, usage = Usage(total!), peerz = details }, Json).ExecuteAsync(context);
        return (engine.ModelId, total!);
    }

    private static object Usage(CompletionUsage usage) => new { prompt_tokens = usage.PromptTokens, completion_tokens = usage.CompletionTokens, total_tokens = usage.TotalTokens };

    private static async Task WriteEventAsync(HttpContext context, object payload)
    {
        await context.Response.WriteAsync("data: " + JsonSerializer.Serialize(payload, Json) + "\n\n", context.RequestAborted);
        await context.Response.Body.FlushAsync(context.RequestAborted);
    }

    private static async Task<string> ReadBodyAsync(HttpRequest request)
    {
        if (request.ContentLength > OpenAiRequestReader.MaxBodyBytes)
            throw new OpenAiError(413, $"request bodies are limited to {OpenAiRequestReader.MaxBodyBytes} bytes");
        var buffer = new byte[OpenAiRequestReader.MaxBodyBytes + 1];
        var length = 0;
        int read;
        while ((read = await request.Body.ReadAsync(buffer.AsMemory(length), request.HttpContext.RequestAborted)) > 0)
        {
            length += read;
            if (length > OpenAiRequestReader.MaxBodyBytes)
                throw new OpenAiError(413, $"request bodies are limited to {OpenAiRequestReader.MaxBodyBytes} bytes");
        }
        return Encoding.UTF8.GetString(buffer, 0, length);
    }
}
