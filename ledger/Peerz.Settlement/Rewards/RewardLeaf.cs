using Peerz.Chain.Contracts;
using Peerz.Chain.Crypto;

namespace Peerz.Settlement.Rewards;

/// <summary>Who is paid for what: EpochRewards has one leaf, and one claim, per (account, role).</summary>
public readonly record struct RewardLeaf(Address Account, RewardRole Role);
