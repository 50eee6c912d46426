using System.Numerics;
using Peerz.Chain.Contracts;

namespace Peerz.Settlement.Storage;

/// <summary>Where one epoch's close stands: computed → posted (postRoot sent) → published (proofs written).</summary>
public enum EpochState
{
    Computed,
    Posted,
    Published,
}

/// <summary>A closed epoch as the store keeps it: the allocation summary, the root, and the close state.</summary>
public sealed record EpochRecord(
    long Epoch,
    EpochState State,
    byte[] Root,
    BigInteger Total,
    BigInteger Pool,
    BigInteger Unallocated,
    IReadOnlyList<BigInteger> Weights,
    IReadOnlyList<BigInteger> RolePools,
    IReadOnlyList<BigInteger> RoleAllocated,
    IReadOnlyList<string> ExcludedProviders,
    byte[]? TransactionHash);

/// <summary>One (account, role) reward for an epoch and its Merkle proof.</summary>
public sealed record RewardRecord(string Account, RewardRole Role, BigInteger Amount, IReadOnlyList<string> Proof);
