using Microsoft.Extensions.Logging;
using Peerz.Ledger.Payments;

namespace Peerz.Node.Payments;

/// <summary>The provider's periodic payment chores: redeem held vouchers, and drop payloads past the retention window.</summary>
public sealed class PaymentMaintenance(ProviderPayments payments, VoucherRedeemer redeemer, TimeSpan redeemInterval, ILogger<PaymentMaintenance> logger)
{
    private static readonly TimeSpan PruneInterval = TimeSpan.FromMinutes(1);

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
                logger.LogWarning("payment maintenance failed: {Error}; retrying later", e.Message);
            }
        }
    }
}
