namespace Peerz.Protocol.Tensors;

/// <summary>A tensor received from a peer is malformed or over a limit.</summary>
public sealed class TensorFormatException(string message) : Exception(message);
