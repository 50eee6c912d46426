namespace Peerz.Chain.Abi;

/// <summary>ABI data or a type that cannot be encoded or decoded, with the reason.</summary>
public sealed class AbiException(string message) : FormatException(message);
