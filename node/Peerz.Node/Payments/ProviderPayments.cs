using System.Numerics;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using Peerz.Chain.Contracts;
using Peerz.Chain.Rpc;
using Peerz.Hosting.Metrics;
using Peerz.Ledger.Payments;
using Peerz.Node.Protocols;
using Peerz.Protocol.Payments;
using Peerz.Protocol.Wire;

namespace Peerz.Node.Payments;

/// <summary>
/// The provider's side of paying per token: checks the voucher that comes with each request before any
/// compute (signature, provider, chain, escrow allowance, and that it covers all work charged so far), and
/// signs a receipt for each response, keeping the request and response bytes for verifiers.
/// </summary>
public sealed class ProviderPayments(ProviderPaymentOptions options, ProviderLedger ledger, EscrowAllowances allowances, TimeProvider time, ILogger<ProviderPayments> logger,
    PaymentMetrics? metrics = null)
{
    public ProviderPaymentOptions Options => options;

    public ProviderLedger Ledger => ledger;

    /// <summary>Charges one request of <paramref name="tokens"/> tokens through <paramref name="blocks"/> blocks, or refuses it with PAYMENT_REQUIRED.</summary>
    /// <returns>Who paid how much; the receipt states both.</returns>
    public async Task<Charge> ChargeAsync(Protocol.Wire.Voucher? wire, long tokens, int blocks, CancellationToken cancellationToken)
    {
        var cost = WorkPricing.Cost(tokens, blocks, options.PricePerToken);
        if (cost.IsZero) return Charge.Free;
        if (wire is null)
            throw Refused($"this request costs {cost} wei ({tokens} tokens x {blocks} blocks x {options.PricePerToken} wei); attach a voucher to account {options.Account}");
        SignedVoucher signed;
        try
        {
            signed = SignedVoucher.FromWire(wire);
        }
        catch (FormatException e)
        {
            throw new RequestRejectedException(ErrorCode.BadRequest, $"voucher: {e.Message}");
        }
        var voucher = signed.Voucher;
        if (voucher.Provider != options.Account)
            throw Refused($"the voucher pays {voucher.Provider}, but this provider's account is {options.Account}");
        if (signed.SignerOrNull(options.ChainId, options.Escrow) != voucher.Client)
            throw Refused($"the voucher is not signed by its client {voucher.Client} for chain {options.ChainId} and escrow {options.Escrow}");
        if (voucher.CumulativeAmount > await AllowanceAsync(voucher.Client, fresh: false, cancellationToken).ConfigureAwait(false)
            && voucher.CumulativeAmount > await AllowanceAsync(voucher.Client, fresh: true, cancellationToken).ConfigureAwait(false))
            throw Refused($"escrow balance of {voucher.Client} cannot cover a cumulative {voucher.CumulativeAmount} wei; deposit more with `peerz deposit`");
        var outcome = await ledger.ChargeAsync(voucher, signed.Signature, cost, cancellationToken).ConfigureAwait(false);
        if (!outcome.Accepted)
            throw Refused($"{outcome.Reason} (the voucher's cumulative amount must be at least {outcome.RequiredCumulative} wei)");
        metrics?.Received(cost);
        return new Charge(voucher.Client, cost);
    }

    /// <summary>Signs the receipt for one response and keeps its payload for the retention window.</summary>
    public async Task<Receipt> IssueReceiptAsync(byte[] sessionId, ulong step, string modelId, uint blockStart, uint blockEnd, byte[] input, byte[] output, long tokens,
        Charge charge, ServingMode mode, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(charge);
        var now = time.GetUtcNow();
        var receipt = new WorkReceipt(options.Account, charge.Client, sessionId, step, WorkIds.Model(modelId), blockStart, blockEnd, WorkBytes.Hash(input), WorkBytes.Hash(output),
            (uint)tokens, (ulong)now.ToUnixTimeSeconds(), mode.Encode(), charge.Amount);
        var wire = SignedReceipt.Sign(receipt, options.Signer, options.ChainId, options.Registry).ToWire();
        await ledger.RecordStepAsync(new StepRecord(sessionId, step, input, output, wire.ToByteArray(), now), cancellationToken).ConfigureAwait(false);
        return wire;
    }

    /// <summary>Drops payloads older than the retention window.</summary>
    public async Task PruneAsync(CancellationToken cancellationToken)
    {
        var removed = await ledger.PruneStepsAsync(time.GetUtcNow() - options.PayloadRetention, cancellationToken).ConfigureAwait(false);
        if (removed > 0) logger.LogDebug("pruned {Count} step payloads past the retention window", removed);
    }

    private async Task<BigInteger> AllowanceAsync(Chain.Crypto.Address client, bool fresh, CancellationToken cancellationToken)
    {
        try
        {
            return await allowances.GetAsync(client, fresh, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RpcException or HttpRequestException)
        {
            logger.LogWarning("cannot read the escrow balance of {Client}: {Error}", client, e.Message);
            throw new RequestRejectedException(ErrorCode.Internal, "the provider cannot reach its chain node to check the escrow; try another provider");
        }
    }


    private RequestRejectedException Refused(string message)
    {
        logger.LogInformation("payment required: {Reason}", message);
        return new RequestRejectedException(ErrorCode.PaymentRequired, message);
    }
}
