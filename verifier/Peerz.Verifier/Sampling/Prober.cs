using Microsoft.Extensions.Logging;
using Peerz.Client.Payments;
using Peerz.Client.Remote;
using Peerz.Client.Routing;
using Peerz.Protocol.Payments;
using static TorchSharp.torch;

namespace Peerz.Verifier.Sampling;

/// <summary>
/// The verifier acting as an ordinary, unannounced client: it pays a random provider for a forward request of a
/// random shape (nothing marks it as a verifier's), then checks the receipt it got. Providers that cheat only
/// on reported receipts are caught this way too.
/// </summary>
public sealed class Prober(IProviderDirectory directory, IProviderConnector connector, ClientPayments payments, VerifierService verifier, string modelId, int hiddenSize,
    Random random, ILogger<Prober> logger)
{
    private const string ForwardProtocolId = "/peerz/forward/1.0.0";

    public async Task<ProbeResult> ProbeOnceAsync(CancellationToken cancellationToken)
    {
        var providers = await directory.GetProvidersAsync(modelId, cancellationToken);
        if (providers.Count == 0) return new(null, "no providers to probe");
        var provider = providers[random.Next(providers.Count)];
        var (batch, length, seed) = (1 + random.Next(2), 1 + random.Next(16), random.NextInt64());
        PaymentRecord? paid = null;
        void Capture(PaymentRecord record)
        {
            if (record.PeerId == provider.PeerId) paid = record;
        }
        payments.Paid += Capture;
        try
        {
            await using var stream = await connector.OpenStreamAsync(provider, ForwardProtocolId, cancellationToken);
            // No dispose scope here: scopes are per thread and must never span an await (docs/testing.md).
            using var hidden = randn([batch, length, hiddenSize], generator: new Generator((ulong)seed));
            using var output = await RemoteTraining.ForwardAsync(stream, new SpanRequest(modelId, provider.Start, provider.End), hidden, null, new RemoteCallOptions(), new PaidProvider(payments, provider), cancellationToken);
        }
        catch (Exception e) when (e is IOException or TimeoutException or PeerzRequestException or Protocol.Framing.ProtocolViolationException)
        {
            logger.LogInformation("probe of {Provider} failed: {Error}", provider.PeerId, e.Message);
            return new(null, e.Message);
        }
        finally
        {
            payments.Paid -= Capture;
        }
        return paid is null
            ? new(null, "the probe was free, so there is no receipt to check")
            : new(await verifier.CheckAsync(paid.Receipt, cancellationToken), $"probed {provider.PeerId}");
    }
}
