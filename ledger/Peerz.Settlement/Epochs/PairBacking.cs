using System.Numerics;

namespace Peerz.Settlement.Epochs;

/// <summary>
/// What the escrow shows one (provider, client) pair paid that earlier epochs have not credited yet:
/// <paramref name="Redeemed"/> from PaymentEscrow.redeemed and <paramref name="Fees"/>, the protocol fee taken out of it,
/// from PaymentEscrow.feesPaid (each minus what earlier epochs credited).
/// </summary>
public sealed record PairBacking(BigInteger Redeemed, BigInteger Fees)
{
    public static PairBacking None { get; } = new(BigInteger.Zero, BigInteger.Zero);
}
