using System.Globalization;
using System.Numerics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Peerz.Chain.Contracts;
using Peerz.Chain.Rpc;
using Peerz.Hosting;
using Peerz.Settlement.Http;
using Peerz.Settlement.Rewards;

namespace Peerz.Gateway.Economics;

/// <summary>
/// The economics panel behind GET /v1/economics: current epoch and time left (by the latest block's timestamp, the clock
/// the contracts use), role weights in force, the epoch's pool, voucher redemptions and the DAO proposals still open
/// (pending, active, succeeded or queued), both over a bounded window of blocks;
/// and from settlement, the top earners of the last settled epoch. Reads are shared and bounded like the network map's;
/// the chain and settlement are read side by side, and one failing leaves the other's part in place.
/// </summary>
public sealed class EconomicsView
{
    private readonly EthRpcClient? _rpc;
    private readonly EpochRewards? _rewards;
    private readonly PaymentEscrow? _escrow;
    private readonly PeerzGovernor? _governor;
    private readonly SettlementClient? _settlement;
    private readonly EconomicsViewOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<EconomicsView> _logger;
    private readonly SharedRead<EconomicsSnapshot> _shared;

    /// <summary>Pass null bindings for a gateway without a chain, and a null <paramref name="settlement"/> without a settlement API.</summary>
    public EconomicsView(EthRpcClient? rpc, EpochRewards? rewards, PaymentEscrow? escrow, PeerzGovernor? governor, SettlementClient? settlement, IOptions<EconomicsViewOptions> options,
        TimeProvider time, ILogger<EconomicsView> logger)
    {
        _rpc = rpc;
        _rewards = rewards;
        _escrow = escrow;
        _governor = governor;
        _settlement = settlement;
        _options = options.Value;
        _time = time;
        _logger = logger;
        _shared = new SharedRead<EconomicsSnapshot>(ReadAsync, _options.CacheFor, time);
    }

    public Task<EconomicsSnapshot> GetAsync(CancellationToken cancellationToken) => _shared.GetAsync(cancellationToken);

    private async Task<EconomicsSnapshot> ReadAsync()
    {
        using var bound = new CancellationTokenSource(_options.Timeout, _time);
        var earners = ReadEarnersAsync(bound);
        var chain = await ReadChainAsync(bound);
        var (last, earnersError) = await earners;
        return chain with { Settlement = _settlement is not null, LastEpochEarners = last, EarnersError = earnersError };
    }

    private async Task<EconomicsSnapshot> ReadChainAsync(CancellationTokenSource bound)
    {
        if (_rpc is null || _rewards is null || _escrow is null || _governor is null)
            return new EconomicsSnapshot(false, null, null, null, null, null, null, null, null, null, null, null);
        try
        {
            return await ReadChainAsync(_rpc, _rewards, _escrow, _governor, bound.Token).WaitAsync(bound.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or HttpRequestException or TimeoutException or InvalidOperationException or FormatException)
        {
            var error = bound.IsCancellationRequested ? $"the chain did not answer within {_options.Timeout.TotalSeconds:0.#} s" : e.Message;
            _logger.LogInformation("economics: chain read failed: {Error}", error);
            return new EconomicsSnapshot(true, null, null, null, null, null, null, null, null, null, null, error);
        }
    }

    /// <summary>Settlement's top earners; "no epoch is settled yet" (its 404) is an answer, not an error.</summary>
    private async Task<(EpochEarners? Last, string? Error)> ReadEarnersAsync(CancellationTokenSource bound)
    {
        if (_settlement is null) return (null, null);
        try
        {
            return (await _settlement.GetLastEarnersAsync(_options.TopEarners, bound.Token).WaitAsync(bound.Token), null);
        }
        catch (SettlementException e) when (e.StatusCode == 404)
        {
            return (null, null);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or HttpRequestException or SettlementException)
        {
            var error = bound.IsCancellationRequested ? $"settlement did not answer within {_options.Timeout.TotalSeconds:0.#} s" : $"settlement: {e.Message}";
            _logger.LogInformation("economics: settlement read failed: {Error}", error);
            return (null, error);
        }
    }

    private async Task<EconomicsSnapshot> ReadChainAsync(EthRpcClient rpc, EpochRewards rewards, PaymentEscrow escrow, PeerzGovernor governor, CancellationToken cancellationToken)
    {
        var block = (ulong)await rpc.BlockNumberAsync(cancellationToken);
        var blockTime = await rpc.BlockTimestampAsync(block, cancellationToken);
        var epoch = await rewards.CurrentEpochAsync(cancellationToken);
        var genesis = await rewards.GenesisTimeAsync(cancellationToken);
        var length = await rewards.EpochLengthAsync(cancellationToken);
        var weights = await rewards.RoleWeightsAtAsync(epoch, cancellationToken);
        var pool = await rewards.EpochPoolAsync(epoch, cancellationToken);
        var start = genesis + ((ulong)epoch * length);
        var end = start + length;

        var from = block > _options.RedeemedWindowBlocks ? block - _options.RedeemedWindowBlocks : 0;
        var logs = await rpc.GetLogsAsync(escrow.Address, PaymentEscrow.RedeemedEvent.Topic, from, cancellationToken);
        BigInteger paid = 0, fees = 0;
        foreach (var log in logs)
        {
            var fields = PaymentEscrow.RedeemedEvent.DecodeLog(log.Topics, log.Data);
            paid += (BigInteger)fields["paid"]!;
            fees += (BigInteger)fields["fee"]!;
        }

        // The newest proposals of the window, each with its state; only those still to be decided or carried out are shown.
        var open = new List<OpenProposal>();
        foreach (var proposal in (await governor.ProposalsSinceAsync(from, cancellationToken)).TakeLast(_options.MaxProposals).Reverse())
        {
            var state = await governor.StateAsync(proposal.Id, cancellationToken);
            if (state is not (ProposalState.Pending or ProposalState.Active or ProposalState.Succeeded or ProposalState.Queued)) continue;
            var votes = await governor.ProposalVotesAsync(proposal.Id, cancellationToken);
            open.Add(new OpenProposal(Text(proposal.Id), proposal.Description, state.ToString().ToLowerInvariant(), (ulong)proposal.VoteEnd, Text(votes.For), Text(votes.Against)));
        }

        return new EconomicsSnapshot(true, block, blockTime, (ulong)epoch, start, end, end > blockTime ? end - blockTime : 0, length,
            new RoleWeights(Text(weights[0]), Text(weights[1]), Text(weights[2]), Text(weights[3])), Text(pool),
            new VoucherFlow(from, logs.Count, Text(paid), Text(fees)), null, Proposals: open);
    }

    private static string Text(BigInteger value) => value.ToString(CultureInfo.InvariantCulture);
}
