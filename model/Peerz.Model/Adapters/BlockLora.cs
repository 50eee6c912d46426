namespace Peerz.Model.Adapters;

/// <summary>The LoRA layers of one block, by target module name.</summary>
internal sealed class BlockLora(IReadOnlyDictionary<string, LoraLayer> layers)
{
    public LoraLayer? For(string module) => layers.GetValueOrDefault(module);
}
