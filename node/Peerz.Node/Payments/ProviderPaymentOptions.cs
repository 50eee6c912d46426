using System.Numerics;
using Peerz.Chain.Crypto;

namespace Peerz.Node.Payments;

/// <summary>Who the provider is on chain and how it charges.</summary>
public sealed record ProviderPaymentOptions
{
    public required BigInteger ChainId { get; init; }
    public required Address Registry { get; init; }
    public required Address Escrow { get; init; }
    /// <summary>The staking account in ProviderRegistry; vouchers must name it and redemptions pay it.</summary>
    public required Address Account { get; init; }
    /// <summary>The registered signer's key; it signs every receipt.</summary>
    public required EthKey Signer { get; init; }
    /// <summary>PRZ wei per token per block, as registered on chain.</summary>
    public required BigInteger PricePerToken { get; init; }
    /// <summary>How long a client's escrow balance read from chain is trusted before it is read again.</summary>
    public TimeSpan BalanceCacheTtl { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>How long step payloads are kept for verifiers.</summary>
    public TimeSpan PayloadRetention { get; init; } = TimeSpan.FromHours(1);
    /// <summary>Largest payload one /peerz/payload request may return.</summary>
    public long MaxPayloadBytes { get; init; } = 256L << 20;
}
