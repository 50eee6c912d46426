using System.Numerics;
using Peerz.Chain.Contracts;
using Peerz.Chain.Crypto;

namespace Peerz.Settlement.Rewards;

/// <summary>
/// An account's weight in one role for one epoch: PRZ wei of paid, backed work for inference and training; one
/// unit per verification or uptime sample for the other roles. Big integers, so no sum can overflow.
/// </summary>
public sealed record RoleUnits(Address Account, RewardRole Role, BigInteger Units);
