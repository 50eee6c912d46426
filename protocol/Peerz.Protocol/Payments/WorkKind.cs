namespace Peerz.Protocol.Payments;

/// <summary>What a receipt was for; the first byte of its session id, so settlement can tell the roles apart.</summary>
public enum WorkKind : byte
{
    Inference = 0x01,
    Forward = 0x02,
    Backward = 0x03,
}
