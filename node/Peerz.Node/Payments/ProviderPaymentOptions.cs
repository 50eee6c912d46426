using System.Numerics;
using Peerz.Chain.Crypto;

namespace Peerz.Node.Payments;

/// <summary>Who the provider is on chain and how it charges.</summary>
public sealed record ProviderPaymentOptions
{
    public static readonly TimeSpan DefaultBalanceCacheTtl = TimeSpan.FromSeconds(10);

    public required BigInteger ChainId { get; init; }
    public required Address Registry { get; init; }
    public required Address Escrow { get; init; }
    /// <summary>The staking account in ProviderRegistry; vouchers must name it and redemptions pay it.</summary>
    public required Address Account { get; init; }
    /// <summary>The registered signer's key; it signs every receipt.</summary>
    public required EthKey Signer { get; init; }
    /// <summary>PRZ wei per token per block, as registered on chain.</summary>
    public required BigInteger PricePerToken { get; init; }
    /// <summary>How long a client's escrow lane read from chain is trusted before it is read again.</summary>
    public TimeSpan BalanceCacheTtl { get; init; } = DefaultBalanceCacheTtl;
    /// <summary>How long a session's payloads are kept for verifiers after its last step (announced in the provider's info).</summary>
    public TimeSpan PayloadRetention { get; init; } = TimeSpan.FromHours(1);
    /// <summary>Step bytes one /peerz/payload answer holds at most (at least one step; never above <see cref="Protocol.Payments.PayloadLimits.MaxResponseBytes"/>).</summary>
    public int MaxPayloadAnswerBytes { get; init; } = Protocol.Payments.PayloadLimits.MaxResponseBytes;
}
