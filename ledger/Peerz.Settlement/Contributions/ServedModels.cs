using System.Globalization;
using Peerz.Chain.Crypto;
using Peerz.Chain.Primitives;

namespace Peerz.Settlement.Contributions;

/// <summary>
/// The models settlement credits work for, keyed by the receipt's model id (keccak256 of the model name, as
/// providers compute it, or the 32-byte id itself), each with its number of transformer blocks. A receipt for
/// another model, or for blocks past the model's last, names work nobody can check, so it earns nothing.
/// </summary>
public sealed class ServedModels
{
    private readonly Dictionary<string, (string Name, uint Layers)> _byId;

    private ServedModels(Dictionary<string, (string Name, uint Layers)> byId) => _byId = byId;

    public static ServedModels None { get; } = new([]);

    public int Count => _byId.Count;

    /// <summary>Parses <c>NAME=LAYERS</c> or <c>0xID=LAYERS</c> entries (e.g. <c>tiny-llama=8</c>).</summary>
    /// <exception cref="FormatException">An entry is malformed, has no layers, or is given twice.</exception>
    public static ServedModels Parse(IEnumerable<string> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var byId = new Dictionary<string, (string, uint)>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            var separator = entry.LastIndexOf('=');
            if (separator <= 0) throw new FormatException($"'{entry}' is not MODEL=LAYERS");
            var name = entry[..separator].Trim();
            if (!uint.TryParse(entry[(separator + 1)..].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var layers) || layers == 0)
                throw new FormatException($"'{entry}': the layer count must be a positive integer");
            var id = IdOf(name);
            if (!byId.TryAdd(Hex.Encode(id), (name, layers))) throw new FormatException($"model '{name}' is given twice");
        }

        return new ServedModels(byId);
    }

    /// <summary>The layer count of the model with receipt id <paramref name="modelId"/>, or null when it is not configured.</summary>
    public uint? LayersOf(byte[] modelId) => _byId.TryGetValue(Hex.Encode(modelId), out var model) ? model.Layers : null;

    public override string ToString() => string.Join(", ", _byId.Values.Select(m => $"{m.Name}={m.Layers}"));

    // Same id as Peerz.Protocol's WorkIds.Model: a 0x-prefixed 32-byte hex id is taken as is, any other text is a name.
    private static byte[] IdOf(string name)
    {
        if (name.StartsWith("0x", StringComparison.OrdinalIgnoreCase) && name.Length == 66)
        {
            try
            {
                return Hex.Decode(name, 32);
            }
            catch (FormatException)
            {
                // Not hex after all: a model may be named like that.
            }
        }

        return Keccak.Hash(name);
    }
}
