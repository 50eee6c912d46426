using System.Numerics;
using Google.Protobuf;
using Peerz.Chain.Contracts;
using Peerz.Chain.Crypto;
using Peerz.Chain.Primitives;

namespace Peerz.Protocol.Payments;

/// <summary>A provider's receipt with its signature, as it travels in responses (<see cref="Wire.Receipt"/>).</summary>
public sealed record SignedReceipt(WorkReceipt Receipt, EthSignature Signature)
{
    public static SignedReceipt Sign(WorkReceipt receipt, EthKey signer, BigInteger chainId, Address registry)
    {
        ArgumentNullException.ThrowIfNull(receipt);
        return new SignedReceipt(receipt, receipt.Sign(signer, chainId, registry));
    }

    /// <summary>The address that signed, for the registry on <paramref name="chainId"/> at <paramref name="registry"/>.</summary>
    public Address Signer(BigInteger chainId, Address registry) => EthKey.RecoverAddress(Receipt.Digest(chainId, registry), Signature);

    /// <summary>The signer, or null when the signature recovers to no key (so it matches no one).</summary>
    public Address? SignerOrNull(BigInteger chainId, Address registry) => EthKey.TryRecoverAddress(Receipt.Digest(chainId, registry), Signature);

    public WorkKind Kind => (WorkKind)Receipt.SessionId[0];

    public Wire.Receipt ToWire() => new()
    {
        Provider = ByteString.CopyFrom(Receipt.Provider.Bytes),
        Client = ByteString.CopyFrom(Receipt.Client.Bytes),
        SessionId = ByteString.CopyFrom(Receipt.SessionId),
        Step = Receipt.Step,
        ModelId = ByteString.CopyFrom(Receipt.ModelId),
        BlockStart = Receipt.BlockStart,
        BlockEnd = Receipt.BlockEnd,
        InputHash = ByteString.CopyFrom(Receipt.InputHash),
        OutputHash = ByteString.CopyFrom(Receipt.OutputHash),
        Tokens = Receipt.Tokens,
        Timestamp = Receipt.Timestamp,
        ServingMode = Receipt.ServingMode,
        Amount = ByteString.CopyFrom(BigEndian.ToMinimalBytes(Receipt.Amount)),
        Signature = ByteString.CopyFrom(Signature.ToBytes()),
    };

    /// <exception cref="FormatException">A field has the wrong length.</exception>
    public static SignedReceipt FromWire(Wire.Receipt wire)
    {
        ArgumentNullException.ThrowIfNull(wire);
        if (wire.ServingMode > byte.MaxValue) throw new FormatException($"serving mode {wire.ServingMode} does not fit in a byte");
        return new SignedReceipt(
            new WorkReceipt(
                WireFields.Address(wire.Provider, "provider"), WireFields.Address(wire.Client, "client"),
                WireFields.Bytes32(wire.SessionId, "session id"), wire.Step, WireFields.Bytes32(wire.ModelId, "model id"),
                wire.BlockStart, wire.BlockEnd, WireFields.Bytes32(wire.InputHash, "input hash"), WireFields.Bytes32(wire.OutputHash, "output hash"),
                wire.Tokens, wire.Timestamp, (byte)wire.ServingMode, WireFields.Uint256(wire.Amount, "amount")),
            EthSignature.FromBytes(wire.Signature.Span));
    }
}
