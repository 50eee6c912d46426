using System.Numerics;
using Peerz.Chain.Crypto;
using Peerz.Chain.Rlp;

namespace Peerz.Chain.Transactions;

/// <summary>A type-2 (EIP-1559) transaction with an empty access list.</summary>
public sealed record Eip1559Transaction(
    BigInteger ChainId,
    BigInteger Nonce,
    BigInteger MaxPriorityFeePerGas,
    BigInteger MaxFeePerGas,
    BigInteger GasLimit,
    Address? To,
    BigInteger Value,
    byte[] Data) : IUnsignedTransaction
{
    public const byte TypeByte = 0x02;

    public byte[] SigningHash() => Keccak.Hash(Typed(RlpItem.List(Fields())));

    public byte[] EncodeSigned(EthSignature signature)
    {
        ArgumentNullException.ThrowIfNull(signature);
        return Typed(RlpItem.List([.. Fields(), RlpItem.Integer(signature.RecoveryId), RlpItem.Integer(signature.R), RlpItem.Integer(signature.S)]));
    }

    private static byte[] Typed(RlpItem payload)
    {
        var body = RlpEncoder.Encode(payload);
        var bytes = new byte[1 + body.Length];
        bytes[0] = TypeByte;
        body.CopyTo(bytes, 1);
        return bytes;
    }

    private RlpItem[] Fields() =>
    [
        RlpItem.Integer(ChainId),
        RlpItem.Integer(Nonce),
        RlpItem.Integer(MaxPriorityFeePerGas),
        RlpItem.Integer(MaxFeePerGas),
        RlpItem.Integer(GasLimit),
        RlpItem.String(To is { } to ? to.Bytes.ToArray() : []),
        RlpItem.Integer(Value),
        RlpItem.String(Data),
        RlpItem.List(),
    ];
}
