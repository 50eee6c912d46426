using System.Diagnostics.Metrics;
using System.Numerics;

namespace Peerz.Hosting.Metrics;

/// <summary>
/// Money moved, in PRZ wei: a provider adds what it received (redeemed or accepted vouchers), a client or gateway what it
/// paid. The counters are doubles (Prometheus values are doubles whatever the instrument), so sums above 2^53 wei
/// (~0.009 PRZ) lose their last digits; the ledger, not the metric, is the record of account.
/// </summary>
public sealed class PaymentMetrics
{
    private readonly Counter<double> _received;
    private readonly Counter<double> _paid;

    public PaymentMetrics(PeerzMeters meters)
    {
        var meter = meters.Create("Payments");
        _received = meter.CreateCounter<double>("peerz_payments_received_wei_total", description: "PRZ wei received by this node for its work");
        _paid = meter.CreateCounter<double>("peerz_payments_paid_wei_total", description: "PRZ wei paid by this node to providers");
        // Listed at zero from the first scrape, before any money moves.
        _received.Add(0);
        _paid.Add(0);
    }

    public void Received(BigInteger wei) => _received.Add(Amount(wei));

    public void Paid(BigInteger wei) => _paid.Add(Amount(wei));

    private static double Amount(BigInteger wei) => wei.Sign >= 0 ? (double)wei : throw new ArgumentOutOfRangeException(nameof(wei), wei, "a payment is never negative");
}
