using System.Numerics;
using Peerz.Chain.Abi;
using Peerz.Chain.Crypto;
using Peerz.Chain.Rpc;
using static Peerz.Chain.Contracts.AbiDefinitions;

namespace Peerz.Chain.Contracts;

/// <summary>EpochRewards' roles, in the order of its weights and role totals.</summary>
public enum RewardRole : byte
{
    Inference = 0,
    Training = 1,
    Verification = 2,
    Routing = 3,
}

/// <summary>An epoch as EpochRewards.getEpoch reports it.</summary>
public sealed record EpochInfo(byte[] Root, BigInteger Total, BigInteger Pool, BigInteger Claimed, bool Posted);

/// <summary>Binding for EpochRewards (one Merkle root of reward claims per epoch; each account claims once).</summary>
public sealed class EpochRewards(EthRpcClient rpc, Address address, TransactionSender? sender = null) : ContractBinding(rpc, address, sender)
{
    public static readonly AbiFunction PostRootFunction = AbiFunction.Parse("postRoot(uint256,bytes32,uint256[4])");
    public static readonly AbiFunction ClaimFunction = AbiFunction.Parse("claim(uint256,address,uint8,uint256,bytes32[])");
    public static readonly AbiFunction IsClaimedFunction = AbiFunction.Parse("isClaimed(uint256,address,uint8)", "bool");
    public static readonly AbiFunction RoleTotalsFunction = AbiFunction.Parse("roleTotals(uint256)", "uint256[4]");
    public static readonly AbiFunction ClaimsOpenAtFunction = AbiFunction.Parse("claimsOpenAt(uint256)", "uint64");
    public static readonly AbiFunction VetoRootFunction = AbiFunction.Parse("vetoRoot(uint256)");
    public static readonly AbiFunction SweepFunction = AbiFunction.Parse("sweep(uint256)");
    public static readonly AbiFunction CurrentEpochFunction = AbiFunction.Parse("currentEpoch()", "uint256");
    public static readonly AbiFunction NextEpochToPostFunction = AbiFunction.Parse("nextEpochToPost()", "uint256");
    public static readonly AbiFunction EpochPoolFunction = AbiFunction.Parse("epochPool(uint256)", "uint256");
    public static readonly AbiFunction FundFunction = AbiFunction.Parse("fund(uint256)");
    public static readonly AbiFunction EpochLengthFunction = AbiFunction.Parse("epochLength()", "uint64");
    public static readonly AbiFunction GenesisTimeFunction = AbiFunction.Parse("genesisTime()", "uint64");
    public static readonly AbiFunction RoleWeightsAtFunction = AbiFunction.Parse("roleWeightsAt(uint256)", "uint256[4]");
    public static readonly AbiFunction GetEpochFunction = AbiFunction.Parse("getEpoch(uint256)", "bytes32", "uint256", "uint256", "uint256", "bool");
    public static readonly AbiFunction SetRoleWeightsFunction = AbiFunction.Parse("setRoleWeights(uint256[4])");

    public static readonly AbiEvent ClaimedEvent = Event("Claimed", Indexed("epoch", "uint256"), Indexed("account", "address"), Indexed("role", "uint8"), Field("amount", "uint256"));
    public static readonly AbiEvent RootPostedEvent = Event("RootPosted", Indexed("epoch", "uint256"), Field("root", "bytes32"), Field("total", "uint256"), Field("pool", "uint256"), Field("carriedOver", "uint256"));
    public static readonly AbiEvent RoleWeightsSetEvent = Event("RoleWeightsSet", Field("weights", "uint256[4]"), Field("fromEpoch", "uint256"));

    public static IReadOnlyList<AbiFunction> Functions { get; } =
        [
            PostRootFunction, ClaimFunction, IsClaimedFunction, CurrentEpochFunction, NextEpochToPostFunction, EpochPoolFunction, FundFunction,
            EpochLengthFunction, GenesisTimeFunction, RoleWeightsAtFunction, GetEpochFunction, SetRoleWeightsFunction, RoleTotalsFunction, ClaimsOpenAtFunction,
            VetoRootFunction, SweepFunction,
        ];

    public static IReadOnlyList<AbiEvent> EventDefinitions { get; } = [ClaimedEvent, RootPostedEvent, RoleWeightsSetEvent];

    public static IReadOnlyList<AbiError> ErrorDefinitions { get; } =
    [
        AbiError.Parse("AlreadyClaimed(uint256,address,uint8)"),
        AbiError.Parse("ClaimExceedsTotal(uint256,uint8)"),
        AbiError.Parse("EpochNotClosed(uint256,uint256)"),
        AbiError.Parse("EpochNotNext(uint256,uint256)"),
        AbiError.Parse("EpochNotPosted(uint256)"),
        AbiError.Parse("InvalidProof()"),
        AbiError.Parse("InvalidWeights()"),
        AbiError.Parse("EmptyRoot()"),
        AbiError.Parse("AccessControlUnauthorizedAccount(address,bytes32)"),
        AbiError.Parse("RoleTotalExceedsPool(uint8,uint256,uint256)"),
        AbiError.Parse("ClaimNotOpen(uint256,uint64)"),
        AbiError.Parse("ClaimExpired(uint256,uint256)"),
        AbiError.Parse("ClaimWindowNotOver(uint256,uint256)"),
        AbiError.Parse("ClaimsAlreadyOpen(uint256,uint64)"),
        AbiError.Parse("AlreadySwept(uint256)"),
        AbiError.Parse("InvalidRole(uint8)"),
        AbiError.Parse("EpochIsVetoed(uint256)"),
        AbiError.Parse("OutOfBounds()"),
    ];

    public override IReadOnlyList<AbiError> Errors => ErrorDefinitions;

    /// <summary>
    /// The Merkle leaf the contract checks: keccak256(keccak256(abi.encode(account, role, amount))) (OpenZeppelin's
    /// double-hashed leaf). Leaves carry their role, so the root cannot move one role's share into another.
    /// </summary>
    public static byte[] Leaf(Address account, RewardRole role, BigInteger amount) =>
        Keccak.Hash(Keccak.Hash(AbiCodec.Encode([new AbiAddress(), new AbiUInt(8), new AbiUInt(256)], [account, (BigInteger)(byte)role, amount])));

    /// <summary>Posts <paramref name="epoch"/>'s root with what each role's leaves add up to (each at most that role's pool).</summary>
    public Task<TransactionReceipt> PostRootAsync(BigInteger epoch, byte[] root, IReadOnlyList<BigInteger> roleTotals, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(roleTotals);
        return SendAsync(PostRootFunction, [epoch, root, roleTotals.Cast<object?>().ToArray()], cancellationToken);
    }

    public Task<TransactionReceipt> ClaimAsync(BigInteger epoch, Address account, RewardRole role, BigInteger amount, IReadOnlyList<byte[]> proof, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(proof);
        return SendAsync(ClaimFunction, [epoch, account, (BigInteger)(byte)role, amount, proof.Cast<object?>().ToArray()], cancellationToken);
    }

    public Task<bool> IsClaimedAsync(BigInteger epoch, Address account, RewardRole role, CancellationToken cancellationToken = default) =>
        CallSingleAsync<bool>(IsClaimedFunction, [epoch, account, (BigInteger)(byte)role], cancellationToken);

    public async Task<BigInteger[]> RoleTotalsAsync(BigInteger epoch, CancellationToken cancellationToken = default)
    {
        var totals = await CallSingleAsync<object?[]>(RoleTotalsFunction, [epoch], cancellationToken).ConfigureAwait(false);
        return totals.Select(Big).ToArray();
    }

    /// <summary>When claims for a posted epoch open (its root's challenge period ends).</summary>
    public async Task<ulong> ClaimsOpenAtAsync(BigInteger epoch, CancellationToken cancellationToken = default) =>
        (ulong)await CallSingleAsync<BigInteger>(ClaimsOpenAtFunction, [epoch], cancellationToken).ConfigureAwait(false);

    public Task<TransactionReceipt> VetoRootAsync(BigInteger epoch, CancellationToken cancellationToken = default) => SendAsync(VetoRootFunction, [epoch], cancellationToken);

    public Task<TransactionReceipt> SweepAsync(BigInteger epoch, CancellationToken cancellationToken = default) => SendAsync(SweepFunction, [epoch], cancellationToken);

    public Task<BigInteger> CurrentEpochAsync(CancellationToken cancellationToken = default) => CallSingleAsync<BigInteger>(CurrentEpochFunction, [], cancellationToken);

    public Task<BigInteger> NextEpochToPostAsync(CancellationToken cancellationToken = default) => CallSingleAsync<BigInteger>(NextEpochToPostFunction, [], cancellationToken);

    public Task<BigInteger> EpochPoolAsync(BigInteger epoch, CancellationToken cancellationToken = default) => CallSingleAsync<BigInteger>(EpochPoolFunction, [epoch], cancellationToken);

    public Task<TransactionReceipt> FundAsync(BigInteger amount, CancellationToken cancellationToken = default) => SendAsync(FundFunction, [amount], cancellationToken);

    public async Task<ulong> EpochLengthAsync(CancellationToken cancellationToken = default) => (ulong)await CallSingleAsync<BigInteger>(EpochLengthFunction, [], cancellationToken).ConfigureAwait(false);

    public async Task<ulong> GenesisTimeAsync(CancellationToken cancellationToken = default) => (ulong)await CallSingleAsync<BigInteger>(GenesisTimeFunction, [], cancellationToken).ConfigureAwait(false);

    /// <summary>The weights (inference, training, verification, routing) in force for <paramref name="epoch"/>.</summary>
    public async Task<BigInteger[]> RoleWeightsAtAsync(BigInteger epoch, CancellationToken cancellationToken = default)
    {
        var weights = await CallSingleAsync<object?[]>(RoleWeightsAtFunction, [epoch], cancellationToken).ConfigureAwait(false);
        return weights.Select(Big).ToArray();
    }

    public async Task<EpochInfo> GetEpochAsync(BigInteger epoch, CancellationToken cancellationToken = default)
    {
        var v = await CallAsync(GetEpochFunction, [epoch], cancellationToken).ConfigureAwait(false);
        return new EpochInfo((byte[])v[0]!, Big(v[1]), Big(v[2]), Big(v[3]), (bool)v[4]!);
    }

    public Task<TransactionReceipt> SetRoleWeightsAsync(IReadOnlyList<BigInteger> weights, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(weights);
        return SendAsync(SetRoleWeightsFunction, [weights.Cast<object?>().ToArray()], cancellationToken);
    }
}
