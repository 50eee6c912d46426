using System.Text.Json;
using System.Text.Json.Nodes;

namespace Peerz.Model.Configuration;

/// <summary>Typed access to config.json fields with errors that name the file and the field.</summary>
internal sealed class ConfigReader(JsonObject root, string source)
{
    public string String(string name) => OptionalString(name) ?? throw Missing(name);

    public string? OptionalString(string name) => Value(name, JsonValueKind.String)?.GetValue<string>();

    public int PositiveInt(string name) => OptionalPositiveInt(name) ?? throw Missing(name);

    public int? OptionalPositiveInt(string name)
    {
        var value = OptionalInt(name);
        if (value is <= 0)
            throw new CheckpointFormatException(source, $"'{name}' must be positive, got {value}");
        return value;
    }

    public int? OptionalInt(string name)
    {
        var node = Value(name, JsonValueKind.Number);
        if (node is null) return null;
        if (!node.TryGetValue<int>(out var value))
            throw new CheckpointFormatException(source, $"'{name}' must be an integer, got {node.ToJsonString()}");
        return value;
    }

    public double? OptionalDouble(string name) => Value(name, JsonValueKind.Number)?.GetValue<double>();

    public bool? OptionalBool(string name)
    {
        var node = root[name];
        if (node is null) return null;
        return node.GetValueKind() switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new CheckpointFormatException(source, $"'{name}' must be true or false"),
        };
    }

    public IReadOnlyList<int> IntOrIntList(string name)
    {
        var node = root[name];
        if (node is null) return [];
        if (node is JsonArray array)
            return array.Select(item => item is JsonValue v && v.TryGetValue<int>(out var id)
                ? id
                : throw new CheckpointFormatException(source, $"'{name}' must hold integers")).ToArray();
        return [OptionalInt(name)!.Value];
    }

    private JsonValue? Value(string name, JsonValueKind kind)
    {
        var node = root[name];
        if (node is null) return null;
        if (node is not JsonValue value || value.GetValueKind() != kind)
            throw new CheckpointFormatException(source, $"'{name}' must be a {kind.ToString().ToLowerInvariant()}, got {node.ToJsonString()}");
        return value;
    }

    private CheckpointFormatException Missing(string name) => new(source, $"required field '{name}' is missing");
}
