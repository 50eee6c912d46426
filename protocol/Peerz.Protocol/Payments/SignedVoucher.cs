using System.Numerics;
using Google.Protobuf;
using Peerz.Chain.Contracts;
using Peerz.Chain.Crypto;
using Peerz.Chain.Primitives;

namespace Peerz.Protocol.Payments;

/// <summary>A client's voucher with its signature, as it travels in requests (<see cref="Wire.Voucher"/>).</summary>
public sealed record SignedVoucher(Voucher Voucher, EthSignature Signature)
{
    public static SignedVoucher Sign(Voucher voucher, EthKey client, BigInteger chainId, Address escrow)
    {
        ArgumentNullException.ThrowIfNull(voucher);
        return new SignedVoucher(voucher, voucher.Sign(client, chainId, escrow));
    }

    /// <summary>The address that signed, for the escrow on <paramref name="chainId"/> at <paramref name="escrow"/>.</summary>
    public Address Signer(BigInteger chainId, Address escrow) => EthKey.RecoverAddress(Voucher.Digest(chainId, escrow), Signature);

    /// <summary>The signer, or null when the signature recovers to no key (so it matches no one).</summary>
    public Address? SignerOrNull(BigInteger chainId, Address escrow) => EthKey.TryRecoverAddress(Voucher.Digest(chainId, escrow), Signature);

    public Wire.Voucher ToWire() => new()
    {
        Client = ByteString.CopyFrom(Voucher.Client.Bytes),
        Provider = ByteString.CopyFrom(Voucher.Provider.Bytes),
        CumulativeAmount = ByteString.CopyFrom(BigEndian.ToMinimalBytes(Voucher.CumulativeAmount)),
        Nonce = ByteString.CopyFrom(BigEndian.ToMinimalBytes(Voucher.Nonce)),
        Signature = ByteString.CopyFrom(Signature.ToBytes()),
    };

    /// <exception cref="FormatException">A field has the wrong length.</exception>
    public static SignedVoucher FromWire(Wire.Voucher wire)
    {
        ArgumentNullException.ThrowIfNull(wire);
        return new SignedVoucher(
            new Voucher(WireFields.Address(wire.Client, "client"), WireFields.Address(wire.Provider, "provider"),
                WireFields.Uint256(wire.CumulativeAmount, "cumulative amount"), WireFields.Uint256(wire.Nonce, "nonce")),
            EthSignature.FromBytes(wire.Signature.Span));
    }
}
