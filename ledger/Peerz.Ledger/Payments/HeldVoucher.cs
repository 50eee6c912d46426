using System.Numerics;
using Peerz.Chain.Contracts;
using Peerz.Chain.Crypto;

namespace Peerz.Ledger.Payments;

/// <summary>A client's best voucher the provider holds, and how much of it is already redeemed on chain.</summary>
public sealed record HeldVoucher(Voucher Voucher, EthSignature Signature, BigInteger Charged, BigInteger RedeemedCumulative, BigInteger RedeemedNonce)
{
    public BigInteger Unredeemed => Voucher.CumulativeAmount - RedeemedCumulative;
}
