namespace Peerz.Chain.Rlp;

/// <summary>Malformed or non-canonical RLP input.</summary>
public sealed class RlpException(string message) : FormatException(message);
