using System.Text.Json;
using Peerz.Chain.Crypto;

namespace Peerz.Chain.Contracts;

/// <summary>
/// Where the Peerz contracts live on one chain: the JSON that scripts/deploy-contracts.mjs prints
/// (<c>{"chainId":31337,"token":"0x…","registry":"0x…",…}</c>).
/// </summary>
public sealed record PeerzDeployment(long ChainId, Address Token, Address Registry, Address Escrow, Address Rewards, Address Governor, Address Timelock)
{
    public const int MaxFileLength = 64 * 1024;

    public static PeerzDeployment Load(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            throw new FormatException($"deployment file '{path}' does not exist");
        }

        if (info.Length > MaxFileLength)
        {
            throw new FormatException($"deployment file '{path}' is larger than {MaxFileLength} bytes");
        }

        return Parse(File.ReadAllText(path));
    }

    /// <exception cref="FormatException">The JSON is malformed or lacks a field.</exception>
    public static PeerzDeployment Parse(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException("deployment JSON must be an object");
            }

            return new PeerzDeployment(
                root.TryGetProperty("chainId", out var chainId) && chainId.TryGetInt64(out var id) && id > 0
                    ? id
                    : throw new FormatException("deployment JSON lacks a positive integer 'chainId'"),
                AddressOf(root, "token"),
                AddressOf(root, "registry"),
                AddressOf(root, "escrow"),
                AddressOf(root, "rewards"),
                AddressOf(root, "governor"),
                AddressOf(root, "timelock"));
        }
        catch (JsonException e)
        {
            throw new FormatException($"deployment JSON is malformed: {e.Message}", e);
        }
    }

    public string ToJson() => JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["chainId"] = ChainId,
        ["token"] = Token.ToString(),
        ["registry"] = Registry.ToString(),
        ["escrow"] = Escrow.ToString(),
        ["rewards"] = Rewards.ToString(),
        ["governor"] = Governor.ToString(),
        ["timelock"] = Timelock.ToString(),
    });

    private static Address AddressOf(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && Address.TryParse(value.GetString()!, out var address)
            ? address
            : throw new FormatException($"deployment JSON lacks a valid '{name}' address");
}
