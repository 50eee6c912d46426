namespace Peerz.P2P;

/// <summary>The remote answered "na" to a multistream-select proposal.</summary>
public sealed class ProtocolNotSupportedException(string protocol)
    : Exception($"remote peer does not support protocol '{protocol}'")
{
    public string Protocol { get; } = protocol;
}
