using Microsoft.Extensions.Logging;
using Peerz.Chain.Contracts;
using Peerz.Chain.Crypto;
using Peerz.Chain.Primitives;
using Peerz.Chain.Rpc;

namespace Peerz.Ledger.Payments;

/// <summary>
/// Redeems the best voucher held from each client. Before sending, it asks the escrow which nonce it already
/// paid: a redemption whose transaction went out just before a crash is then recorded, not sent again (and the
/// escrow itself refuses a stale nonce). A journal row is written before every send.
/// </summary>
public sealed class VoucherRedeemer(ProviderLedger ledger, PaymentEscrow escrow, Address provider, ILogger<VoucherRedeemer> logger)
{
    /// <summary>Redeems every client's outstanding voucher; returns the redemptions that were sent and mined.</summary>
    public async Task<IReadOnlyList<Redemption>> RedeemAllAsync(CancellationToken cancellationToken)
    {
        var done = new List<Redemption>();
        foreach (var held in await ledger.GetRedeemableAsync(provider, cancellationToken).ConfigureAwait(false))
        {
            var redemption = await RedeemAsync(held, cancellationToken).ConfigureAwait(false);
            if (redemption is not null) done.Add(redemption);
        }
        return done;
    }

    private async Task<Redemption?> RedeemAsync(HeldVoucher held, CancellationToken cancellationToken)
    {
        var voucher = held.Voucher;
        var paidNonce = await escrow.LastNonceAsync(voucher.Client, provider, cancellationToken).ConfigureAwait(false);
        if (paidNonce >= voucher.Nonce)
        {
            var paidCumulative = await escrow.RedeemedAsync(voucher.Client, provider, cancellationToken).ConfigureAwait(false);
            logger.LogInformation("the voucher of {Client} up to nonce {Nonce} is already redeemed on chain; recording it", voucher.Client, paidNonce);
            await ledger.RecordRedeemedAsync(voucher.Client, paidCumulative, paidNonce, null, cancellationToken).ConfigureAwait(false);
            return null;
        }

        await ledger.BeginRedemptionAsync(voucher, cancellationToken).ConfigureAwait(false);
        try
        {
            var receipt = await escrow.RedeemAsync(voucher, held.Signature, cancellationToken).ConfigureAwait(false);
            var hash = Hex.Encode(receipt.TransactionHash);
            await ledger.RecordRedeemedAsync(voucher.Client, voucher.CumulativeAmount, voucher.Nonce, hash, cancellationToken).ConfigureAwait(false);
            var paid = voucher.CumulativeAmount - held.RedeemedCumulative;
            logger.LogInformation("redeemed {Paid} wei from {Client} (cumulative {Cumulative}, nonce {Nonce}) in {Transaction}", paid, voucher.Client, voucher.CumulativeAmount, voucher.Nonce, hash);
            return new Redemption(voucher.Client, paid, voucher.CumulativeAmount, hash);
        }
        catch (ContractRevertException e)
        {
            logger.LogWarning("redeeming the voucher of {Client} failed: {Reason}; it stays held for a later attempt", voucher.Client, e.Reason.Message);
            await ledger.RecordRedemptionFailedAsync(voucher.Client, e.Reason.Message, cancellationToken).ConfigureAwait(false);
            return null;
        }
    }
}
