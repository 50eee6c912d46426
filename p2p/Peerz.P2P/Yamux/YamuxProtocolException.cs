namespace Peerz.P2P.Yamux;

/// <summary>The remote broke the yamux protocol (e.g. exceeded a receive window); the session is closed.</summary>
public sealed class YamuxProtocolException(string message) : Exception(message);
