using System.Security.Cryptography;
using Peerz.Chain.Crypto;

namespace Peerz.Protocol.Payments;

/// <summary>The 32-byte identifiers receipts carry.</summary>
public static class WorkIds
{
    /// <summary>A fresh random session id whose first byte says what kind of work it is.</summary>
    public static byte[] NewSession(WorkKind kind)
    {
        var id = RandomNumberGenerator.GetBytes(32);
        id[0] = (byte)kind;
        return id;
    }

    /// <summary>The receipt's model id: keccak256 of the model name's UTF-8 bytes.</summary>
    public static byte[] Model(string modelId) => Keccak.Hash(modelId);
}
