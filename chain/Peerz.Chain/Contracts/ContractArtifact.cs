using System.Text.Json;
using Peerz.Chain.Abi;
using Peerz.Chain.Primitives;

namespace Peerz.Chain.Contracts;

/// <summary>A Hardhat artifact (artifacts/contracts/File.sol/Name.json): its ABI and creation bytecode.</summary>
public sealed record ContractArtifact(
    string Name,
    byte[] Bytecode,
    IReadOnlyList<AbiFunction> Functions,
    IReadOnlyList<AbiEvent> Events,
    IReadOnlyList<AbiError> Errors,
    AbiFunction? Constructor)
{
    public static ContractArtifact Load(string path)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        var root = document.RootElement;
        var name = root.GetProperty("contractName").GetString()!;
        var functions = new List<AbiFunction>();
        var events = new List<AbiEvent>();
        var errors = new List<AbiError>();
        AbiFunction? constructor = null;
        foreach (var entry in root.GetProperty("abi").EnumerateArray())
        {
            var inputs = Parameters(entry, "inputs");
            switch (entry.GetProperty("type").GetString())
            {
                case "function":
                    functions.Add(new AbiFunction(entry.GetProperty("name").GetString()!, inputs, Parameters(entry, "outputs")));
                    break;
                case "event":
                    events.Add(new AbiEvent(entry.GetProperty("name").GetString()!, inputs, entry.TryGetProperty("anonymous", out var a) && a.GetBoolean()));
                    break;
                case "error":
                    errors.Add(new AbiError(entry.GetProperty("name").GetString()!, inputs));
                    break;
                case "constructor":
                    constructor = new AbiFunction("constructor", inputs, []);
                    break;
            }
        }

        return new ContractArtifact(name, Hex.Decode(root.GetProperty("bytecode").GetString()!), functions, events, errors, constructor);
    }

    /// <summary>Creation code followed by the ABI-encoded constructor arguments.</summary>
    public byte[] DeploymentData(params object?[] constructorArguments)
    {
        var types = Constructor?.Inputs.Select(p => p.Type).ToArray() ?? [];
        return [.. Bytecode, .. AbiCodec.Encode(types, constructorArguments)];
    }

    private static AbiParameter[] Parameters(JsonElement entry, string property) =>
        entry.TryGetProperty(property, out var list)
            ? list.EnumerateArray().Select(p => new AbiParameter(
                p.GetProperty("name").GetString() ?? string.Empty,
                JsonType(p),
                p.TryGetProperty("indexed", out var indexed) && indexed.GetBoolean())).ToArray()
            : [];

    // JSON ABI writes tuples as "tuple" / "tuple[]" / "tuple[2]" with their components alongside.
    private static AbiType JsonType(JsonElement parameter)
    {
        var type = parameter.GetProperty("type").GetString()!;
        if (!type.StartsWith("tuple", StringComparison.Ordinal))
        {
            return AbiType.Parse(type);
        }

        var components = parameter.GetProperty("components").EnumerateArray().ToArray();
        var tuple = new AbiTuple(
            components.Select(JsonType).ToArray(),
            components.Select(c => c.GetProperty("name").GetString() ?? string.Empty).ToArray());
        return type == "tuple" ? tuple : AbiType.Parse(tuple.CanonicalName + type["tuple".Length..]);
    }
}
