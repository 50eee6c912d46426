using System.Numerics;
using Peerz.Chain.Crypto;

namespace Peerz.Client.Payments;

/// <summary>Who pays and on which chain: the client's key, the chain id, the escrow and registry contracts.</summary>
public sealed record ClientPaymentOptions
{
    public required EthKey Client { get; init; }
    public required BigInteger ChainId { get; init; }
    public required Address Escrow { get; init; }
    public required Address Registry { get; init; }
    /// <summary>How far a receipt's timestamp may be from the client's clock.</summary>
    public TimeSpan MaxClockSkew { get; init; } = TimeSpan.FromMinutes(5);
}
