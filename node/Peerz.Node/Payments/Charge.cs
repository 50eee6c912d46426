using System.Numerics;
using Peerz.Chain.Crypto;
using Peerz.Protocol.Payments;

namespace Peerz.Node.Payments;

/// <summary>
/// What one request is charged and to whom; its receipt names both. A charge is authorized before the work and
/// committed (its voucher stored for redemption) only once the work is answered.
/// </summary>
public sealed record Charge(Address Client, BigInteger Amount, SignedVoucher? Voucher = null)
{
    /// <summary>Work that cost nothing (price zero): no client is bound.</summary>
    public static readonly Charge Free = new(Address.Zero, BigInteger.Zero);
}
