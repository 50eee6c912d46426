using System.CommandLine;
using System.Globalization;
using System.Numerics;
using Peerz.Chain.Contracts;
using Peerz.Chain.Primitives;
using Peerz.Hosting;
using Peerz.Hosting.Chain;

namespace Peerz.Cli.Commands;

/// <summary>
/// `peerz dao …`: PRZ holders govern the reward role weights through PeerzGovernor and the timelock
/// (propose-weights → vote → queue → execute; status; delegate).
/// </summary>
public static class DaoCommand
{
    private static readonly string[] RoleNames = ["inference", "training", "verification", "routing"];

    public static Command Create(Func<string?, LayeredSettings> settingsFor, Option<string?> config)
    {
        var command = new Command("dao", "Propose and vote on protocol parameters (role weights) as a PRZ holder");
        command.Subcommands.Add(ProposeWeights(settingsFor, config));
        command.Subcommands.Add(Vote(settingsFor, config));
        command.Subcommands.Add(WithProposal(settingsFor, config, "queue", "Queue a passed proposal in the timelock", async (connection, proposal, ct) =>
        {
            await ChainCommandOptions.SendAsync("queue", () => connection.Governor.QueueAsync(proposal, ct));
            var eta = await connection.Governor.ProposalEtaAsync(proposal.Id, ct);
            Console.WriteLine($"queued proposal {proposal.Id}; executable from {DateTimeOffset.FromUnixTimeSeconds((long)eta):u} with `peerz dao execute {proposal.Id}`");
        }));
        command.Subcommands.Add(WithProposal(settingsFor, config, "execute", "Execute a queued proposal once the timelock delay has passed", async (connection, proposal, ct) =>
        {
            var receipt = await ChainCommandOptions.SendAsync("execute", () => connection.Governor.ExecuteAsync(proposal, ct));
            Console.WriteLine($"executed proposal {proposal.Id} (tx {Hex.Encode(receipt.TransactionHash)})");
        }));
        command.Subcommands.Add(Status(settingsFor, config));
        command.Subcommands.Add(Delegate(settingsFor, config));
        return command;
    }

    /// <summary>Parses "inference=60 training=20 verification=15 routing=5" (any order, all four) into contract order.</summary>
    public static BigInteger[] ParseWeights(IReadOnlyList<string> assignments)
    {
        ArgumentNullException.ThrowIfNull(assignments);
        var weights = new BigInteger?[RoleNames.Length];
        foreach (var assignment in assignments)
        {
            var parts = assignment.Split('=', 2);
            var role = Array.IndexOf(RoleNames, parts[0].Trim().ToLowerInvariant());
            if (parts.Length != 2 || role < 0)
                throw new UserErrorException($"'{assignment}' is not ROLE=WEIGHT with ROLE one of {string.Join(", ", RoleNames)}");
            if (weights[role] is not null) throw new UserErrorException($"{RoleNames[role]} is given twice");
            if (!BigInteger.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var weight) || weight > 1_000_000)
                throw new UserErrorException($"weight '{parts[1]}' of {RoleNames[role]} must be an integer from 0 to 1000000");
            weights[role] = weight;
        }

        var missing = RoleNames.Where((_, i) => weights[i] is null).ToArray();
        if (missing.Length > 0) throw new UserErrorException($"give a weight for every role; missing: {string.Join(", ", missing)}");
        var result = weights.Select(w => w!.Value).ToArray();
        if (result.All(w => w.IsZero)) throw new UserErrorException("the weights cannot all be zero");
        return result;
    }

    private static Command ProposeWeights(Func<string?, LayeredSettings> settingsFor, Option<string?> config)
    {
        var chain = new ChainCommandOptions();
        var weights = new Argument<string[]>("WEIGHTS") { Description = "inference=N training=N verification=N routing=N", Arity = ArgumentArity.OneOrMore };
        var description = new Option<string>("--description") { Description = "What the proposal does and why (part of its id)", Required = true };
        var command = new Command("propose-weights", "Propose new reward role weights (EpochRewards.setRoleWeights through the timelock)") { weights, description };
        chain.AddTo(command);
        command.SetAction(async (result, ct) =>
        {
            var settings = settingsFor(result.GetValue(config));
            var parsed = ParseWeights(result.GetValue(weights)!);
            var text = settings.Get(result, description);
            if (string.IsNullOrWhiteSpace(text)) throw new UserErrorException("--description cannot be empty");
            using var connection = await chain.ConnectAsync(settings, result, ct);
            var calldata = EpochRewards.SetRoleWeightsFunction.EncodeCall([parsed.Cast<object?>().ToArray()]);
            var receipt = await ChainCommandOptions.SendAsync("propose", () => connection.Governor.ProposeAsync([connection.Rewards.Address], [BigInteger.Zero], [calldata], text, ct));
            var created = connection.Governor.Events(receipt, PeerzGovernor.ProposalCreatedEvent).Single();
            Console.WriteLine($"proposal {(BigInteger)created["proposalId"]!}");
            Console.WriteLine($"weights {string.Join(" ", RoleNames.Select((r, i) => $"{r}={parsed[i]}"))}; voting from block {(BigInteger)created["voteStart"]!} to {(BigInteger)created["voteEnd"]!}");
        });
        return command;
    }

    private static Command Vote(Func<string?, LayeredSettings> settingsFor, Option<string?> config)
    {
        var chain = new ChainCommandOptions();
        var id = ProposalId();
        var support = new Argument<string>("SUPPORT") { Description = "for, against or abstain" };
        var command = new Command("vote", "Vote on an active proposal with your delegated PRZ") { id, support };
        chain.AddTo(command);
        command.SetAction(async (result, ct) =>
        {
            var settings = settingsFor(result.GetValue(config));
            var proposalId = ParseId(result.GetValue(id)!);
            byte choice = result.GetValue(support)!.ToLowerInvariant() switch
            {
                "against" => 0,
                "for" => 1,
                "abstain" => 2,
                var other => throw new UserErrorException($"'{other}' is not for, against or abstain"),
            };
            using var connection = await chain.ConnectAsync(settings, result, ct);
            var receipt = await ChainCommandOptions.SendAsync("vote", () => connection.Governor.CastVoteAsync(proposalId, choice, ct));
            var cast = connection.Governor.Events(receipt, PeerzGovernor.VoteCastEvent).Single();
            Console.WriteLine($"voted {result.GetValue(support)!.ToLowerInvariant()} on proposal {proposalId} with {PrzAmount.Format((BigInteger)cast["weight"]!)} PRZ of votes");
        });
        return command;
    }

    private static Command Status(Func<string?, LayeredSettings> settingsFor, Option<string?> config)
    {
        var chain = new ChainCommandOptions();
        var id = ProposalId();
        var command = new Command("status", "Show a proposal's state, votes, quorum and deadlines") { id, chain.RpcUrl, chain.Deployment };
        command.SetAction(async (result, ct) =>
        {
            var settings = settingsFor(result.GetValue(config));
            var proposalId = ParseId(result.GetValue(id)!);
            using var connection = await chain.ConnectReadOnlyAsync(settings, result, ct);
            var proposal = await FindAsync(connection, proposalId, ct);
            var state = await connection.Governor.StateAsync(proposalId, ct);
            var votes = await connection.Governor.ProposalVotesAsync(proposalId, ct);
            var snapshot = await connection.Governor.ProposalSnapshotAsync(proposalId, ct);
            var block = await connection.Rpc.BlockNumberAsync(ct);
            var quorum = snapshot < block ? PrzAmount.Format(await connection.Governor.QuorumAsync(snapshot, ct)) + " PRZ" : "(known once voting starts)";
            Console.WriteLine($"proposal {proposalId}: {state.ToString().ToLowerInvariant()}");
            Console.WriteLine($"description  {proposal.Description}");
            Console.WriteLine($"votes        for {PrzAmount.Format(votes.For)}, against {PrzAmount.Format(votes.Against)}, abstain {PrzAmount.Format(votes.Abstain)}; quorum {quorum}");
            Console.WriteLine($"voting       blocks {proposal.VoteStart + 1} to {proposal.VoteEnd} (now block {block})");
            if (state == ProposalState.Queued)
                Console.WriteLine($"executable   from {DateTimeOffset.FromUnixTimeSeconds((long)await connection.Governor.ProposalEtaAsync(proposalId, ct)):u}");
        });
        return command;
    }

    private static Command Delegate(Func<string?, LayeredSettings> settingsFor, Option<string?> config)
    {
        var chain = new ChainCommandOptions();
        var to = new Argument<string>("ADDRESS") { Description = "Who votes with your PRZ (your own address to vote yourself)" };
        var command = new Command("delegate", "Delegate your PRZ voting power (needed before your PRZ counts in votes)") { to };
        chain.AddTo(command);
        command.SetAction(async (result, ct) =>
        {
            var settings = settingsFor(result.GetValue(config));
            var delegatee = ChainCommandOptions.ParseAddress(result.GetValue(to)!, "ADDRESS");
            using var connection = await chain.ConnectAsync(settings, result, ct);
            await ChainCommandOptions.SendAsync("delegate", () => connection.Token.DelegateAsync(delegatee, ct));
            var votes = await connection.Token.GetVotesAsync(delegatee, ct);
            Console.WriteLine($"delegated to {delegatee}; its voting power is now {PrzAmount.Format(votes)} PRZ");
        });
        return command;
    }

    private static Command WithProposal(Func<string?, LayeredSettings> settingsFor, Option<string?> config, string name, string description, Func<ChainConnection, GovernorProposal, CancellationToken, Task> act)
    {
        var chain = new ChainCommandOptions();
        var id = ProposalId();
        var command = new Command(name, description) { id };
        chain.AddTo(command);
        command.SetAction(async (result, ct) =>
        {
            var settings = settingsFor(result.GetValue(config));
            var proposalId = ParseId(result.GetValue(id)!);
            using var connection = await chain.ConnectAsync(settings, result, ct);
            await act(connection, await FindAsync(connection, proposalId, ct), ct);
        });
        return command;
    }

    private static async Task<GovernorProposal> FindAsync(ChainConnection connection, BigInteger id, CancellationToken ct) =>
        await connection.Governor.FindProposalAsync(id, ct) ?? throw new UserErrorException($"no proposal {id} on this governor");

    private static Argument<string> ProposalId() => new("ID") { Description = "Proposal id (decimal, as propose-weights printed it)" };

    private static BigInteger ParseId(string text) =>
        BigInteger.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : throw new UserErrorException($"'{text}' is not a proposal id (a decimal number)");
}
