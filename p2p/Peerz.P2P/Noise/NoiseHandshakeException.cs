namespace Peerz.P2P.Noise;

/// <summary>The noise handshake failed: bad payload, signature, peer id mismatch or decryption failure.</summary>
public sealed class NoiseHandshakeException(string message, Exception? inner = null) : Exception(message, inner);
