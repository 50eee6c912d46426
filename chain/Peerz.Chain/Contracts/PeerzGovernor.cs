using System.Numerics;
using Peerz.Chain.Abi;
using Peerz.Chain.Crypto;
using Peerz.Chain.Rpc;
using static Peerz.Chain.Contracts.AbiDefinitions;

namespace Peerz.Chain.Contracts;

/// <summary>OpenZeppelin's ProposalState, in the order of the Solidity enum.</summary>
public enum ProposalState
{
    Pending,
    Active,
    Canceled,
    Defeated,
    Succeeded,
    Queued,
    Expired,
    Executed,
}

/// <summary>A proposal's actions as ProposalCreated recorded them; queue and execute need them again.</summary>
public sealed record GovernorProposal(BigInteger Id, Address Proposer, IReadOnlyList<Address> Targets, IReadOnlyList<BigInteger> Values, IReadOnlyList<byte[]> Calldatas, BigInteger VoteStart, BigInteger VoteEnd, string Description)
{
    public byte[] DescriptionHash => Keccak.Hash(Description);
}

/// <summary>Votes counted so far (GovernorCountingSimple).</summary>
public sealed record ProposalVotes(BigInteger Against, BigInteger For, BigInteger Abstain);

/// <summary>Binding for PeerzGovernor (OpenZeppelin Governor + simple counting + timelock control).</summary>
public sealed class PeerzGovernor(EthRpcClient rpc, Address address, TransactionSender? sender = null) : ContractBinding(rpc, address, sender)
{
    private const string Actions = "address[],uint256[],bytes[]";

    public static readonly AbiFunction ProposeFunction = AbiFunction.Parse($"propose({Actions},string)", "uint256");
    public static readonly AbiFunction CastVoteFunction = AbiFunction.Parse("castVote(uint256,uint8)", "uint256");
    public static readonly AbiFunction QueueFunction = AbiFunction.Parse($"queue({Actions},bytes32)", "uint256");
    public static readonly AbiFunction ExecuteFunction = AbiFunction.Parse($"execute({Actions},bytes32)", "uint256");
    public static readonly AbiFunction HashProposalFunction = AbiFunction.Parse($"hashProposal({Actions},bytes32)", "uint256");
    public static readonly AbiFunction StateFunction = AbiFunction.Parse("state(uint256)", "uint8");
    public static readonly AbiFunction ProposalVotesFunction = AbiFunction.Parse("proposalVotes(uint256)", "uint256", "uint256", "uint256");
    public static readonly AbiFunction ProposalDeadlineFunction = AbiFunction.Parse("proposalDeadline(uint256)", "uint256");
    public static readonly AbiFunction ProposalEtaFunction = AbiFunction.Parse("proposalEta(uint256)", "uint256");
    public static readonly AbiFunction QuorumFunction = AbiFunction.Parse("quorum(uint256)", "uint256");
    public static readonly AbiFunction ProposalSnapshotFunction = AbiFunction.Parse("proposalSnapshot(uint256)", "uint256");

    public static readonly AbiEvent ProposalCreatedEvent = Event(
        "ProposalCreated", Field("proposalId", "uint256"), Field("proposer", "address"), Field("targets", "address[]"), Field("values", "uint256[]"),
        Field("signatures", "string[]"), Field("calldatas", "bytes[]"), Field("voteStart", "uint256"), Field("voteEnd", "uint256"), Field("description", "string"));

    public static readonly AbiEvent VoteCastEvent = Event("VoteCast", Indexed("voter", "address"), Field("proposalId", "uint256"), Field("support", "uint8"), Field("weight", "uint256"), Field("reason", "string"));

    public static IReadOnlyList<AbiFunction> Functions { get; } =
    [
        ProposeFunction, CastVoteFunction, QueueFunction, ExecuteFunction, HashProposalFunction, StateFunction, ProposalVotesFunction,
        ProposalDeadlineFunction, ProposalEtaFunction, QuorumFunction, ProposalSnapshotFunction,
    ];

    public static IReadOnlyList<AbiEvent> EventDefinitions { get; } = [ProposalCreatedEvent, VoteCastEvent];

    public static IReadOnlyList<AbiError> ErrorDefinitions { get; } =
    [
        AbiError.Parse("GovernorAlreadyCastVote(address)"),
        AbiError.Parse("GovernorAlreadyQueuedProposal(uint256)"),
        AbiError.Parse("GovernorInsufficientProposerVotes(address,uint256,uint256)"),
        AbiError.Parse("GovernorInvalidProposalLength(uint256,uint256,uint256)"),
        AbiError.Parse("GovernorInvalidVoteType()"),
        AbiError.Parse("GovernorNonexistentProposal(uint256)"),
        AbiError.Parse("GovernorUnexpectedProposalState(uint256,uint8,bytes32)"),
        AbiError.Parse("FailedCall()"),
    ];

    public override IReadOnlyList<AbiError> Errors => ErrorDefinitions;

    public Task<TransactionReceipt> ProposeAsync(IReadOnlyList<Address> targets, IReadOnlyList<BigInteger> values, IReadOnlyList<byte[]> calldatas, string description, CancellationToken cancellationToken = default) =>
        SendAsync(ProposeFunction, [.. ActionArguments(targets, values, calldatas), description], cancellationToken);

    /// <param name="support">0 against, 1 for, 2 abstain</param>
    public Task<TransactionReceipt> CastVoteAsync(BigInteger proposalId, byte support, CancellationToken cancellationToken = default) =>
        SendAsync(CastVoteFunction, [proposalId, (BigInteger)support], cancellationToken);

    public Task<TransactionReceipt> QueueAsync(GovernorProposal proposal, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(proposal);
        return SendAsync(QueueFunction, [.. ActionArguments(proposal.Targets, proposal.Values, proposal.Calldatas), proposal.DescriptionHash], cancellationToken);
    }

    public Task<TransactionReceipt> ExecuteAsync(GovernorProposal proposal, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(proposal);
        return SendAsync(ExecuteFunction, [.. ActionArguments(proposal.Targets, proposal.Values, proposal.Calldatas), proposal.DescriptionHash], cancellationToken);
    }

    public Task<BigInteger> HashProposalAsync(IReadOnlyList<Address> targets, IReadOnlyList<BigInteger> values, IReadOnlyList<byte[]> calldatas, byte[] descriptionHash, CancellationToken cancellationToken = default) =>
        CallSingleAsync<BigInteger>(HashProposalFunction, [.. ActionArguments(targets, values, calldatas), descriptionHash], cancellationToken);

    public async Task<ProposalState> StateAsync(BigInteger proposalId, CancellationToken cancellationToken = default) =>
        (ProposalState)(int)await CallSingleAsync<BigInteger>(StateFunction, [proposalId], cancellationToken).ConfigureAwait(false);

    public async Task<ProposalVotes> ProposalVotesAsync(BigInteger proposalId, CancellationToken cancellationToken = default)
    {
        var v = await CallAsync(ProposalVotesFunction, [proposalId], cancellationToken).ConfigureAwait(false);
        return new ProposalVotes(Big(v[0]), Big(v[1]), Big(v[2]));
    }

    /// <summary>Last block of the vote.</summary>
    public Task<BigInteger> ProposalDeadlineAsync(BigInteger proposalId, CancellationToken cancellationToken = default) => CallSingleAsync<BigInteger>(ProposalDeadlineFunction, [proposalId], cancellationToken);

    /// <summary>Block whose vote balances count (votes start after it).</summary>
    public Task<BigInteger> ProposalSnapshotAsync(BigInteger proposalId, CancellationToken cancellationToken = default) => CallSingleAsync<BigInteger>(ProposalSnapshotFunction, [proposalId], cancellationToken);

    /// <summary>Unix time from which a queued proposal may execute (0 if not queued).</summary>
    public Task<BigInteger> ProposalEtaAsync(BigInteger proposalId, CancellationToken cancellationToken = default) => CallSingleAsync<BigInteger>(ProposalEtaFunction, [proposalId], cancellationToken);

    public Task<BigInteger> QuorumAsync(BigInteger blockNumber, CancellationToken cancellationToken = default) => CallSingleAsync<BigInteger>(QuorumFunction, [blockNumber], cancellationToken);

    /// <summary>Finds a proposal's actions in the ProposalCreated logs (this governor has no on-chain proposal storage).</summary>
    public async Task<GovernorProposal?> FindProposalAsync(BigInteger proposalId, CancellationToken cancellationToken = default) =>
        (await ProposalsSinceAsync(BigInteger.Zero, cancellationToken).ConfigureAwait(false)).FirstOrDefault(p => p.Id == proposalId);

    /// <summary>The proposals created from block <paramref name="fromBlock"/> on, oldest first, as ProposalCreated recorded them.</summary>
    public async Task<IReadOnlyList<GovernorProposal>> ProposalsSinceAsync(BigInteger fromBlock, CancellationToken cancellationToken = default)
    {
        var logs = await Rpc.GetLogsAsync(Address, ProposalCreatedEvent.Topic, fromBlock, cancellationToken).ConfigureAwait(false);
        return [.. logs.Select(log =>
        {
            var e = ProposalCreatedEvent.DecodeLog(log.Topics, log.Data);
            return new GovernorProposal(
                Big(e["proposalId"]),
                (Address)e["proposer"]!,
                ((object?[])e["targets"]!).Select(t => (Address)t!).ToArray(),
                ((object?[])e["values"]!).Select(Big).ToArray(),
                ((object?[])e["calldatas"]!).Select(c => (byte[])c!).ToArray(),
                Big(e["voteStart"]),
                Big(e["voteEnd"]),
                (string)e["description"]!);
        })];
    }

    private static object?[] ActionArguments(IReadOnlyList<Address> targets, IReadOnlyList<BigInteger> values, IReadOnlyList<byte[]> calldatas)
    {
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(calldatas);
        return [targets.Cast<object?>().ToArray(), values.Cast<object?>().ToArray(), calldatas.Cast<object?>().ToArray()];
    }
}
