using System.Numerics;
using Peerz.Protocol.Payments;
using Peerz.Protocol.Wire;

namespace Peerz.Client.Payments;

/// <summary>
/// One request being paid for: carries the voucher to attach; then either the receipt is accepted or the
/// request is refunded. Disposing lets the next request to the same provider go.
/// </summary>
public sealed class PaidRequest : IAsyncDisposable
{
    private readonly ClientPayments _payments;
    private readonly SemaphoreSlim _gate;
    private int _released;

    private readonly ServingMode? _announcedMode;

    internal PaidRequest(ClientPayments payments, string peerId, ProviderAccount provider, BigInteger cost, Voucher? voucher, SemaphoreSlim gate, ServingMode? announcedMode)
    {
        _announcedMode = announcedMode;
        _payments = payments;
        PeerId = peerId;
        Provider = provider;
        Cost = cost;
        Voucher = voucher;
        _gate = gate;
    }

    public string PeerId { get; }

    public ProviderAccount Provider { get; }

    public BigInteger Cost { get; }

    /// <summary>The voucher to attach, or null when the request is free.</summary>
    public Voucher? Voucher { get; }

    /// <summary>Checks the response's receipt against what was sent, received, paid and announced; throws <see cref="PaymentException"/> if it is wrong.</summary>
    public Task AcceptAsync(Receipt? receipt, ExpectedWork expected, CancellationToken cancellationToken) =>
        _payments.AcceptAsync(PeerId, Provider, Cost, _announcedMode, receipt, expected, cancellationToken);

    /// <summary>The provider refused the request (so it holds no voucher for it): take the reservation back.</summary>
    public Task RefundAsync(CancellationToken cancellationToken) => _payments.RefundAsync(Provider, Cost, cancellationToken);

    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0) _gate.Release();
        return ValueTask.CompletedTask;
    }
}
