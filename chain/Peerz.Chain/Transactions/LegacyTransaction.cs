using System.Numerics;
using Peerz.Chain.Crypto;
using Peerz.Chain.Rlp;

namespace Peerz.Chain.Transactions;

/// <summary>A pre-typed transaction with EIP-155 replay protection (v = recovery id + 35 + 2·chainId).</summary>
public sealed record LegacyTransaction(
    BigInteger ChainId,
    BigInteger Nonce,
    BigInteger GasPrice,
    BigInteger GasLimit,
    Address? To,
    BigInteger Value,
    byte[] Data) : IUnsignedTransaction
{
    public byte[] SigningHash() =>
        Keccak.Hash(RlpEncoder.Encode(RlpItem.List([.. Fields(), RlpItem.Integer(ChainId), RlpItem.Integer(0), RlpItem.Integer(0)])));

    public byte[] EncodeSigned(EthSignature signature)
    {
        ArgumentNullException.ThrowIfNull(signature);
        var v = signature.RecoveryId + 35 + 2 * ChainId;
        return RlpEncoder.Encode(RlpItem.List([.. Fields(), RlpItem.Integer(v), RlpItem.Integer(signature.R), RlpItem.Integer(signature.S)]));
    }

    private RlpItem[] Fields() =>
    [
        RlpItem.Integer(Nonce),
        RlpItem.Integer(GasPrice),
        RlpItem.Integer(GasLimit),
        RlpItem.String(To is { } to ? to.Bytes.ToArray() : []),
        RlpItem.Integer(Value),
        RlpItem.String(Data),
    ];
}
