namespace Peerz.Chain.Abi;

/// <summary>A named function, event or error parameter.</summary>
public sealed record AbiParameter(string Name, AbiType Type, bool Indexed = false);
