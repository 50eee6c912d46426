using System.Numerics;
using Peerz.Chain.Crypto;

namespace Peerz.Node.Payments;

/// <summary>What one request was charged and to whom; its receipt names both.</summary>
public sealed record Charge(Address Client, BigInteger Amount)
{
    /// <summary>Work that cost nothing (price zero): no client is bound.</summary>
    public static readonly Charge Free = new(Address.Zero, BigInteger.Zero);
}
