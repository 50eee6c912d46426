using System.Numerics;
using Peerz.Chain.Crypto;
using Peerz.Settlement.Contributions;

namespace Peerz.Settlement.Rewards;

/// <summary>An account's total work units in one role for one epoch.</summary>
public sealed record RoleUnits(Address Account, ContributionRole Role, BigInteger Units);
