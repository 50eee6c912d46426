using System.Buffers.Binary;
using Peerz.Chain.Contracts;

namespace Peerz.Verifier.Sampling;

/// <summary>
/// What identifies one session at one provider: provider ‖ session id ‖ model id ‖ first block ‖ end block (big-endian).
/// Every receipt of a session carries the same key, so the sampling draw and the pending check are per session, not per step.
/// </summary>
public static class SessionKey
{
    public static byte[] Of(WorkReceipt receipt)
    {
        ArgumentNullException.ThrowIfNull(receipt);
        var provider = receipt.Provider.Bytes;
        var key = new byte[provider.Length + receipt.SessionId.Length + receipt.ModelId.Length + 8];
        provider.CopyTo(key);
        receipt.SessionId.CopyTo(key, provider.Length);
        receipt.ModelId.CopyTo(key, provider.Length + receipt.SessionId.Length);
        BinaryPrimitives.WriteUInt32BigEndian(key.AsSpan(key.Length - 8), receipt.BlockStart);
        BinaryPrimitives.WriteUInt32BigEndian(key.AsSpan(key.Length - 4), receipt.BlockEnd);
        return key;
    }
}
