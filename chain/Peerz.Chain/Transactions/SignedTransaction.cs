using Peerz.Chain.Crypto;
using Peerz.Chain.Primitives;

namespace Peerz.Chain.Transactions;

/// <summary>Raw signed bytes ready for eth_sendRawTransaction, and the transaction hash.</summary>
public sealed record SignedTransaction(byte[] Raw)
{
    public byte[] Hash { get; } = Keccak.Hash(Raw);

    public string RawHex => Hex.Encode(Raw);

    public string HashHex => Hex.Encode(Hash);

    public static SignedTransaction Sign(IUnsignedTransaction transaction, EthKey key)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        ArgumentNullException.ThrowIfNull(key);
        return new SignedTransaction(transaction.EncodeSigned(key.Sign(transaction.SigningHash())));
    }
}
