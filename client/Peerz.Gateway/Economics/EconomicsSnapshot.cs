using Peerz.Settlement.Rewards;

namespace Peerz.Gateway.Economics;

/// <summary>
/// GET /v1/economics: the reward epoch in force and what flowed through the escrow, read from the chain at
/// <paramref name="BlockNumber"/> (whose timestamp is <paramref name="BlockTime"/>, unix seconds). Amounts are PRZ wei as
/// decimal strings. <paramref name="Chain"/> is false (and the rest null) when the gateway has no chain; a failed read
/// leaves the rest null and says why in <paramref name="Error"/>. <paramref name="Settlement"/> says whether a settlement API is
/// configured; <paramref name="LastEpochEarners"/> is its newest settled epoch's largest rewards (null before any epoch is settled,
/// or when the read failed, with <paramref name="EarnersError"/> saying why). <paramref name="Proposals"/> are the DAO
/// proposals of the window still open, newest first.
/// </summary>
public sealed record EconomicsSnapshot(
    bool Chain,
    ulong? BlockNumber,
    ulong? BlockTime,
    ulong? Epoch,
    ulong? EpochStart,
    ulong? EpochEnd,
    ulong? SecondsLeft,
    ulong? EpochLength,
    RoleWeights? RoleWeights,
    string? EpochPool,
    VoucherFlow? Vouchers,
    string? Error,
    bool Settlement = false,
    EpochEarners? LastEpochEarners = null,
    string? EarnersError = null,
    IReadOnlyList<OpenProposal>? Proposals = null);

/// <summary>EpochRewards.roleWeightsAt(epoch), in the contract's role order.</summary>
public sealed record RoleWeights(string Inference, string Training, string Verification, string Routing);

/// <summary>
/// PaymentEscrow Redeemed events from <paramref name="FromBlock"/> to the latest block (a bounded window, not all history):
/// what providers received (<paramref name="Paid"/>) and the protocol fee that went to the reward pool.
/// </summary>
public sealed record VoucherFlow(ulong FromBlock, int Redemptions, string Paid, string Fees);

/// <summary>
/// A DAO proposal not yet decided or carried out: <paramref name="State"/> is pending, active, succeeded or queued (as
/// Governor.state says); voting ends at block <paramref name="VoteEnd"/>; votes are PRZ wei of voting power.
/// </summary>
public sealed record OpenProposal(string Id, string Description, string State, ulong VoteEnd, string VotesFor, string VotesAgainst);
