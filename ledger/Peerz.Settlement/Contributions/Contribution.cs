using Peerz.Chain.Contracts;
using Peerz.Chain.Crypto;

namespace Peerz.Settlement.Contributions;

/// <summary>
/// One unit-bearing piece of work: <paramref name="Key"/> deduplicates it (the receipt digest for inference and
/// training, a derived hash for verifications and uptime samples), <paramref name="Units"/> is its weight inside
/// <paramref name="Role"/> for <paramref name="Epoch"/>.
/// </summary>
public sealed record Contribution(byte[] Key, long Epoch, Address Account, RewardRole Role, long Units);
