using Peerz.Discovery;

namespace Peerz.Client.Payments;

/// <summary>Payments bound to one provider, for the remote calls made to it.</summary>
public sealed record PaidProvider(ClientPayments Payments, ProviderRecord Provider)
{
    public Task<PaidRequest> BeginAsync(long tokens, int blocks, CancellationToken cancellationToken) =>
        Payments.BeginAsync(Provider, tokens, blocks, cancellationToken);
}
