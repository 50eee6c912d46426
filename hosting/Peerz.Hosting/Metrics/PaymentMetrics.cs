namespace Peerz.Hosting.Metrics;

/// <summary>
/// Money moved, in PRZ wei: a provider adds what it received (redeemed or accepted vouchers), a
/// client or gateway what it paid. As Prometheus values are doubles, sums above 2^53 wei (~0.009 PRZ)
/// lose their last digits; the ledger, not the metric, is the record of account.
/// </summary>
public sealed class PaymentMetrics(MetricsRegistry registry)
{
    private readonly Counter _received = registry.Counter("peerz_payments_received_wei_total", "PRZ wei received by this node for its work");
    private readonly Counter _paid = registry.Counter("peerz_payments_paid_wei_total", "PRZ wei paid by this node to providers");

    public void Received(System.Numerics.BigInteger wei) => _received.Inc((double)wei);

    public void Paid(System.Numerics.BigInteger wei) => _paid.Inc((double)wei);
}
