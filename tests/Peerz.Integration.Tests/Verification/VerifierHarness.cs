using System.Numerics;
using Microsoft.Extensions.Logging.Abstractions;
using Peerz.Client.Payments;
using Peerz.Client.Remote;
using Peerz.Client.Routing;
using Peerz.Client.Swarm;
using Peerz.Model.Checkpoints;
using Peerz.Node.Protocols;
using Peerz.Protocol.Tensors;
using Peerz.Testing.Chain;
using Peerz.Verifier.Sampling;
using Peerz.Verifier.Storage;
using Peerz.Verifier.Verification;
using static TorchSharp.torch;

namespace Peerz.Integration.Tests.Verification;

/// <summary>A verifier (its own swarm client, float32 copy of the model, ledger, and the devnet's verifier role) and paid work to feed it.</summary>
public sealed class VerifierHarness : IDisposable
{
    private readonly Checkpoint _checkpoint;
    private readonly SpanRecomputer _recomputer;

    public VerifierHarness(PeerzDevnet devnet, string modelDirectory, SwarmClient connector, VerifierLedger ledger, double rate, int seed)
    {
        _checkpoint = Checkpoint.Open(modelDirectory);
        _recomputer = new SpanRecomputer(_checkpoint, TensorLimits.Default);
        var registry = devnet.Registry(devnet.Deployer);
        Verifier = new ReceiptVerifier("tiny", _recomputer, new PayloadClient(connector, 64 << 20, TimeSpan.FromSeconds(20)), new VerificationTolerances(),
            TensorLimits.Default, devnet.Deployment.ChainId, registry);
        Service = new VerifierService(Verifier, ledger, registry, devnet.Deployment.ChainId, rate, new Random(seed), NullLogger<VerifierService>.Instance);
    }

    public ReceiptVerifier Verifier { get; }

    public VerifierService Service { get; }

    /// <summary>Pays for one forward request of a random [batch, length] input through the provider's whole span and returns its receipt.</summary>
    public static async Task<PaymentRecord> ForwardAsync(SwarmClient swarm, ClientPayments payments, ProviderRecord provider, int batch, int length, int hidden, int seed)
    {
        var paid = new List<PaymentRecord>();
        void Collect(PaymentRecord record) => paid.Add(record);
        payments.Paid += Collect;
        try
        {
            // No dispose scope: scopes are per thread and must never span an await (docs/testing.md).
            using var input = randn([batch, length, hidden], generator: new Generator((ulong)seed));
            await using var stream = await swarm.OpenStreamAsync(provider, PeerzProtocolIds.Forward, CancellationToken.None);
            using var output = await RemoteTraining.ForwardAsync(stream, new SpanRequest("tiny", provider.Start, provider.End), input, null, new RemoteCallOptions(), new PaidProvider(payments, provider), CancellationToken.None);
        }
        finally
        {
            payments.Paid -= Collect;
        }
        return Assert.Single(paid);
    }

    public void Dispose()
    {
        _recomputer.Dispose();
        _checkpoint.Dispose();
    }
}
