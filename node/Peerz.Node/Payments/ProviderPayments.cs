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
/// The provider's side of paying per token. Before any compute it authorizes the voucher that comes with a request
/// (signature, provider, chain, the client's escrow lane, and that it covers all work charged so far); it commits
/// the charge only when it answers, together with the signed receipt and the payload kept for verifiers, so work
/// that is refused or fails after authorization costs the client nothing.
/// </summary>
public sealed class ProviderPayments(ProviderPaymentOptions options, ProviderLedger ledger, EscrowAllowances allowances, TimeProvider time, ILogger<ProviderPayments> logger,
    PaymentMetrics? metrics = null)
{
    // A signed receipt's wire encoding is about 330 bytes; the bound leaves room for protobuf framing.
    private const int ReceiptBytesBound = 1024;

    public ProviderPaymentOptions Options => options;

    public ProviderLedger Ledger => ledger;

    /// <summary>
    /// Checks that one request of <paramref name="tokens"/> tokens through <paramref name="blocks"/> blocks is paid
    /// for, or refuses it with PAYMENT_REQUIRED. Nothing is charged until <see cref="CommitAsync"/>.
    /// </summary>
    public async Task<Charge> AuthorizeAsync(Protocol.Wire.Voucher? wire, long tokens, int blocks, CancellationToken cancellationToken)
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
            throw Refused($"the escrow lane of {voucher.Client} to {options.Account} cannot cover a cumulative {voucher.CumulativeAmount} wei; reserve more for this provider (peerz pays from a deposit with `--lane-amount`)");
        var outcome = await ledger.CheckChargeAsync(voucher, cost, cancellationToken).ConfigureAwait(false);
        if (!outcome.Accepted)
            throw Refused($"{outcome.Reason} (the voucher's cumulative amount must be at least {outcome.RequiredCumulative} wei)");
        return new Charge(voucher.Client, cost, signed);
    }

    /// <summary>Stores the voucher of an authorized charge for redemption: from here on the client owes it.</summary>
    public async Task CommitAsync(Charge charge, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(charge);
        if (charge.Voucher is not { } signed) return;
        // Re-checked in the same transaction: a concurrent request with the same voucher was answered first.
        var outcome = await ledger.ChargeAsync(signed.Voucher, signed.Signature, charge.Amount, cancellationToken).ConfigureAwait(false);
        if (!outcome.Accepted)
            throw Refused($"{outcome.Reason} (the voucher's cumulative amount must be at least {outcome.RequiredCumulative} wei)");
        metrics?.Received(charge.Amount);
    }

    /// <summary>Authorizes and commits at once: for a caller with nothing left to do between the check and the charge.</summary>
    public async Task<Charge> ChargeAsync(Protocol.Wire.Voucher? wire, long tokens, int blocks, CancellationToken cancellationToken)
    {
        var charge = await AuthorizeAsync(wire, tokens, blocks, cancellationToken).ConfigureAwait(false);
        await CommitAsync(charge, cancellationToken).ConfigureAwait(false);
        return charge;
    }

    /// <summary>
    /// Refuses, before compute, a request whose payload a verifier could not fetch in one answer: the request's
    /// bytes plus at most <paramref name="outputElements"/> float32 outputs, <paramref name="routingBytes"/> of signed expert
    /// choices (mixture-of-experts spans) and the receipt must fit in <see cref="PayloadLimits.MaxResponseBytes"/>.
    /// A receipt is never signed for work that could not be rechecked.
    /// </summary>
    public static void EnsureFetchable(long inputBytes, long outputElements, long routingBytes = 0)
    {
        var bound = inputBytes + (outputElements * sizeof(float)) + routingBytes + ReceiptBytesBound;
        if (bound > PayloadLimits.MaxResponseBytes)
            throw new RequestRejectedException(ErrorCode.LimitExceeded,
                $"this request's payload (up to {bound} bytes in, out and receipt) would exceed the {PayloadLimits.MaxResponseBytes}-byte bound a verifier fetches in one answer; send fewer tokens per request");
    }

    /// <summary>
    /// Commits <paramref name="charge"/>, signs the receipt for one response and keeps its payload for the retention
    /// window. The caller has computed the response; it sends it only after this returns.
    /// </summary>
    public async Task<Receipt> IssueReceiptAsync(byte[] sessionId, ulong step, string modelId, uint blockStart, uint blockEnd, byte[] input, byte[] output, long tokens,
        Charge charge, ServingMode mode, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(charge);
        await CommitAsync(charge, cancellationToken).ConfigureAwait(false);
        var now = time.GetUtcNow();
        var receipt = new WorkReceipt(options.Account, charge.Client, sessionId, step, WorkIds.Model(modelId), blockStart, blockEnd, WorkBytes.Hash(input), WorkBytes.Hash(output),
            (uint)tokens, (ulong)now.ToUnixTimeSeconds(), mode.Encode(), charge.Amount);
        var wire = SignedReceipt.Sign(receipt, options.Signer, options.ChainId, options.Registry).ToWire();
        await ledger.RecordStepAsync(new StepRecord(sessionId, step, input, output, wire.ToByteArray(), now) { Client = charge.Client }, cancellationToken).ConfigureAwait(false);
        return wire;
    }

    /// <summary>Drops the payloads of sessions whose last step is older than the retention window.</summary>
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
            logger.LogWarning("cannot read the escrow lane of {Client}: {Error}", client, e.Message);
            throw new RequestRejectedException(ErrorCode.Internal, "the provider cannot reach its chain node to check the escrow; try another provider");
        }
    }

    private RequestRejectedException Refused(string message)
    {
        logger.LogInformation("payment required: {Reason}", message);
        return new RequestRejectedException(ErrorCode.PaymentRequired, message);
    }
}
