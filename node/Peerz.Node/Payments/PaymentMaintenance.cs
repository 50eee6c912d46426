using Microsoft.Extensions.Logging;
using Peerz.Ledger.Payments;

namespace Peerz.Node.Payments;

/// <summary>The provider's periodic payment chores: redeem held vouchers, and drop payloads past the retention window.</summary>
public sealed class PaymentMaintenance(ProviderPayments payments, VoucherRedeemer redeemer, TimeSpan redeemInterval, ILogger<PaymentMaintenance> logger)
{
    private static readonly TimeSpan PruneInterval = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Refuses a schedule that could leave accepted vouchers unredeemed when a client's released lane funds leave the
    /// escrow: vouchers must be redeemed (every <paramref name="redeemInterval"/>, plus the lane cache's age
    /// <paramref name="laneCacheTtl"/>) within the escrow's <paramref name="withdrawalDelay"/>.
    /// </summary>
    public static void EnsureRedeemsInTime(TimeSpan redeemInterval, TimeSpan laneCacheTtl, TimeSpan withdrawalDelay)
    {
        if (redeemInterval <= TimeSpan.Zero || redeemInterval + laneCacheTtl >= withdrawalDelay)
            throw new ProviderNotEligibleException(
                $"--redeem-seconds {redeemInterval.TotalSeconds:F0} must be positive and shorter than the escrow's withdrawal delay of {withdrawalDelay.TotalSeconds:F0} s (minus {laneCacheTtl.TotalSeconds:F0} s of lane caching), or a client could release funds this provider accepted before it redeems them");
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var sinceRedeem = TimeSpan.Zero;
        while (!cancellationToken.IsCancellationRequested)
        {
            var pause = redeemInterval > TimeSpan.Zero && redeemInterval < PruneInterval ? redeemInterval : PruneInterval;
            try
            {
                await Task.Delay(pause, cancellationToken);
                await payments.PruneAsync(cancellationToken);
                sinceRedeem += pause;
                if (redeemInterval > TimeSpan.Zero && sinceRedeem >= redeemInterval)
                {
                    sinceRedeem = TimeSpan.Zero;
                    await redeemer.RedeemAllAsync(cancellationToken);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logger.LogWarning(e, "payment maintenance failed: {Error}; retrying later", e.Message);
            }
        }
    }
}
