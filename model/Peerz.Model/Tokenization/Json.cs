using System.Text.Json;

namespace Peerz.Model.Tokenization;

/// <summary>Typed reads of tokenizer.json fields that fail with a message naming the field.</summary>
internal static class Json
{
    public static string Type(JsonElement stage, string what) =>
        stage.ValueKind == JsonValueKind.Object && stage.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String
            ? type.GetString()!
            : throw new TokenizerException($"{what} has no \"type\"");

    public static string String(JsonElement element, string name, string what) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : throw new TokenizerException($"{what}: \"{name}\" must be a string");

    public static string? OptionalString(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    public static bool Bool(JsonElement element, string name, bool fallback) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind is JsonValueKind.True or JsonValueKind.False
            ? value.GetBoolean()
            : fallback;

    public static int Int(JsonElement element, string name, string what) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var result)
            ? result
            : throw new TokenizerException($"{what}: \"{name}\" must be a 32-bit integer");

    public static JsonElement.ArrayEnumerator Array(JsonElement element, string name, string what) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Array
            ? value.EnumerateArray()
            : throw new TokenizerException($"{what}: \"{name}\" must be an array");

    /// <summary>A stage that is absent or null.</summary>
    public static bool IsNone(JsonElement element) => element.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null;

    /// <summary>A {"String": s} or {"Regex": r} pattern as a matcher.</summary>
    public static OnigurumaPattern Pattern(JsonElement stage, string what)
    {
        if (!stage.TryGetProperty("pattern", out var pattern) || pattern.ValueKind != JsonValueKind.Object)
            throw new TokenizerException($"{what}: \"pattern\" is missing");
        if (OptionalString(pattern, "String") is { } literal)
            return new OnigurumaPattern(System.Text.RegularExpressions.Regex.Escape(literal));
        if (OptionalString(pattern, "Regex") is { } regex)
            return new OnigurumaPattern(regex);
        throw new TokenizerException($"{what}: \"pattern\" must hold \"String\" or \"Regex\"");
    }
}
