using System.Text.Json;
using System.Text.Json.Nodes;

namespace Peerz.Gateway;

/// <summary>Reads OpenAI request bodies with OpenAI's defaults, rejecting what we cannot honour.</summary>
public static class OpenAiRequestReader
{
    public const int MaxBodyBytes = 1 << 20;

    public static JsonObject Parse(string body)
    {
        try
        {
            return JsonNode.Parse(body) as JsonObject ?? throw new OpenAiError(400, "the request body must be a JSON object");
        }
        catch (JsonException e)
        {
            throw new OpenAiError(400, $"the request body is not valid JSON: {e.Message}");
        }
    }

    public static CompletionRequest Completion(JsonObject body, string prompt, int maxTokensLimit) => new(
        prompt,
        Int(body, "max_tokens", 1, maxTokensLimit) ?? Int(body, "max_completion_tokens", 1, maxTokensLimit) ?? 16,
        Number(body, "temperature", 1.0, 0, 2),
        Number(body, "top_p", 1.0, double.Epsilon, 1),
        Int(body, "seed", int.MinValue, int.MaxValue),
        Stop(body));

    public static string Prompt(JsonObject body) => body["prompt"] switch
    {
        JsonValue value when value.TryGetValue<string>(out var text) => text,
        JsonArray { Count: 1 } array when array[0] is JsonValue v && v.TryGetValue<string>(out var only) => only,
        JsonArray => throw new OpenAiError(400, "only one prompt per request is supported", "prompt"),
        null => throw new OpenAiError(400, "'prompt' is required", "prompt"),
        _ => throw new OpenAiError(400, "'prompt' must be a string", "prompt"),
    };

    public static IReadOnlyList<ChatMessage> Messages(JsonObject body)
    {
        if (body["messages"] is not JsonArray { Count: > 0 } array)
            throw new OpenAiError(400, "'messages' must be a non-empty array", "messages");
        return array.Select((node, i) =>
        {
            var role = (node?["role"] as JsonValue)?.TryGetValue<string>(out var r) == true ? r : null;
            var content = node?["content"] switch
            {
                JsonValue v when v.TryGetValue<string>(out var text) => text,
                // Content parts: keep the text parts, as a text-only model can.
                JsonArray parts => string.Concat(parts.Select(p => (p?["type"]?.GetValue<string>() == "text" ? p["text"]?.GetValue<string>() : null) ?? "")),
                _ => null,
            };
            if (role is not ("system" or "user" or "assistant" or "developer") || content is null)
                throw new OpenAiError(400, $"messages[{i}] needs a role (system, user, assistant) and text content", $"messages[{i}]");
            return new ChatMessage(role, content);
        }).ToList();
    }

    public static bool Stream(JsonObject body) => Bool(body, "stream");

    public static bool IncludeUsageInStream(JsonObject body) => body["stream_options"] is JsonObject options && Bool(options, "include_usage");

    public static void RejectUnsupported(JsonObject body)
    {
        if (body["n"] is not null && Int(body, "n", 1, 1) != 1)
            throw new OpenAiError(400, "only n = 1 is supported", "n");
    }

    private static IReadOnlyList<string> Stop(JsonObject body) => body["stop"] switch
    {
        null => [],
        JsonValue value when value.TryGetValue<string>(out var text) => [text],
        JsonArray array when array.Count <= 4 && array.All(s => s is JsonValue v && v.TryGetValue<string>(out _)) => array.Select(s => s!.GetValue<string>()).ToList(),
        _ => throw new OpenAiError(400, "'stop' must be a string or up to 4 strings", "stop"),
    };

    /// <summary>The integer field, or null when absent (or JSON null).</summary>
    private static int? Int(JsonObject body, string name, int min, int max)
    {
        if (body[name] is null) return null;
        if (body[name] is not JsonValue value || !value.TryGetValue<int>(out var number) || number < min || number > max)
            throw new OpenAiError(400, $"'{name}' must be an integer in [{min}, {max}]", name);
        return number;
    }

    private static double Number(JsonObject body, string name, double fallback, double min, double max)
    {
        if (body[name] is null) return fallback;
        if (body[name] is not JsonValue value || !value.TryGetValue<double>(out var number) || number < min || number > max)
            throw new OpenAiError(400, $"'{name}' must be a number in [{min}, {max}]", name);
        return number;
    }

    private static bool Bool(JsonObject body, string name) => body[name] switch
    {
        null => false,
        JsonValue value when value.TryGetValue<bool>(out var flag) => flag,
        _ => throw new OpenAiError(400, $"'{name}' must be true or false", name),
    };
}
