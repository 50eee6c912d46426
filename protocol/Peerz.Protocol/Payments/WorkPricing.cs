using System.Numerics;

namespace Peerz.Protocol.Payments;

/// <summary>What a request costs: tokens × blocks × the provider's price per token per block (PRZ wei).</summary>
public static class WorkPricing
{
    public static BigInteger Cost(long tokens, int blocks, BigInteger pricePerTokenPerBlock) => tokens * (BigInteger)blocks * pricePerTokenPerBlock;
}
