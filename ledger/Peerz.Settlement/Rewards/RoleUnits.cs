using System.Numerics;
using Peerz.Chain.Contracts;
using Peerz.Chain.Crypto;

namespace Peerz.Settlement.Rewards;

/// <summary>
/// An account's weight in one role for one epoch: PRZ wei of paid, backed work for inference and training; one
/// unit per verification or uptime sample for the other roles. Big integers, so no sum can overflow.
/// <paramref name="Cap"/>, when given, bounds the reward these units may earn (paid work: the fee cap of
/// <see cref="Epochs.FeeRewardCap"/>); caps of one account and role add up like their units.
/// </summary>
public sealed record RoleUnits(Address Account, RewardRole Role, BigInteger Units, BigInteger? Cap = null);
