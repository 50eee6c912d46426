using Microsoft.Extensions.Logging.Abstractions;
using Peerz.Chain.Contracts;
using Peerz.Client;
using Peerz.Client.Payments;
using Peerz.Client.Remote;
using Peerz.Client.Routing;
using Peerz.Discovery;
using Peerz.Model.Checkpoints;
using Peerz.Model.Client;
using Peerz.Model.Generation;
using Peerz.Node.Protocols;
using Peerz.Protocol.Tensors;
using Peerz.Testing.Chain;
using Peerz.Verifier.Providers;
using Peerz.Verifier.Sampling;
using Peerz.Verifier.Slashing;
using Peerz.Verifier.Storage;
using Peerz.Verifier.Verification;
using static TorchSharp.torch;

namespace Peerz.Integration.Tests.Verification;

/// <summary>
/// A verifier wired as peerz-verifier wires it (its own swarm client, float32 copy of the model, ledger, the devnet
/// deployer's key, which holds VERIFIER_ROLE), with the knobs the tests turn: its clock, its connection to providers,
/// the unavailability policy and the recomputation bound. Also pays for work to feed it.
/// </summary>
public sealed class VerifierHarness : IDisposable
{
    private readonly Checkpoint _checkpoint;
    private readonly SpanRecomputer _recomputer;
    private readonly PeerzDevnet _devnet;

    public VerifierHarness(PeerzDevnet devnet, string modelDirectory, SwarmClient swarm, VerifierLedger ledger, UnavailabilityPolicy? unavailability = null,
        TimeProvider? time = null, IProviderConnector? connector = null, long maxRecomputeTokens = 16384, ProviderRegistry? registry = null)
    {
        _devnet = devnet;
        Ledger = ledger;
        Time = time ?? TimeProvider.System;
        _checkpoint = Checkpoint.Open(modelDirectory);
        _recomputer = new SpanRecomputer(_checkpoint, TensorLimits.Default, maxRecomputeTokens);
        Registry = registry ?? devnet.Registry(devnet.Deployer);
        var (chainId, address) = (devnet.Deployment.ChainId, devnet.Deployment.Registry);
        connector ??= swarm;
        Resolver = new ProviderResolver(Registry, swarm, connector, "tiny", TimeSpan.FromSeconds(30), Time, NullLogger<ProviderResolver>.Instance);
        // Payload requests carry the real time: providers refuse timestamps more than 5 minutes off their clock.
        Verifier = new ReceiptVerifier("tiny", _recomputer, new PayloadClient(connector, devnet.Deployer, chainId, address, 256L << 20, TimeSpan.FromSeconds(20), TimeProvider.System),
            new VerificationTolerances(), TensorLimits.Default, new SignerOwners(Registry, TimeSpan.FromSeconds(30), Time), chainId, address, TimeSpan.FromMinutes(2), Time);
        Service = new VerifierService(Verifier, Resolver, ledger, new SlashProposer(Registry, ledger, Time, NullLogger<SlashProposer>.Instance),
            unavailability ?? UnavailabilityPolicy.Default, "tiny", devnet.Deployer.Address, chainId, address, Time, NullLogger<VerifierService>.Instance);
    }

    public VerifierLedger Ledger { get; }

    public TimeProvider Time { get; }

    public ProviderRegistry Registry { get; }

    public ProviderResolver Resolver { get; }

    public ReceiptVerifier Verifier { get; }

    public VerifierService Service { get; }

    /// <summary>
    /// Intake as the HTTP endpoint runs it, with this verifier's sampling secret; sampled sessions are due as soon as
    /// <see cref="ReceiptIntake.ReleaseDue"/> is called unless a <paramref name="quiet"/> period is given.
    /// </summary>
    public async Task<ReceiptIntake> IntakeAsync(double rate, int capacity, int reportsPerMinute = 1000, double designCheatRate = 0.01, TimeSpan quiet = default) =>
        new(Verifier, Resolver, new SamplingDecision(await Ledger.SamplingSecretAsync(CancellationToken.None), rate, designCheatRate),
            new ReporterRateLimit(reportsPerMinute, reportsPerMinute, Time), Ledger, await PendingSessions.OpenAsync(Ledger, quiet, capacity, Time, CancellationToken.None),
            _devnet.Deployment.ChainId, _devnet.Deployment.Registry);

    /// <summary>Pays for one greedy generation through the provider's whole span and returns the session's receipts, by step.</summary>
    public static async Task<IReadOnlyList<PaymentRecord>> GenerateAsync(SwarmClient swarm, ClientPayments payments, ProviderRecord provider, ClientHead head, int[] prompt, int newTokens)
    {
        var paid = new List<PaymentRecord>();
        void Collect(PaymentRecord record) => paid.Add(record);
        payments.Paid += Collect;
        try
        {
            var pipeline = new DistributedBlockPipeline(new SpanRequest("tiny", provider.Start, provider.End), new OnlyProvider(provider), swarm,
                new RoutePlanner(swarm.RoundTrip, new Random(1)), new RemoteCallOptions(), NullLogger<DistributedBlockPipeline>.Instance, payments: payments);
            await new TextGenerator(head, pipeline).GenerateAsync(prompt, new GenerationOptions { MaxNewTokens = newTokens }).ToListAsync();
        }
        finally
        {
            payments.Paid -= Collect;
        }
        Assert.Single(paid.Select(r => Convert.ToHexString(r.Receipt.Receipt.SessionId)).Distinct());
        return paid.OrderBy(r => r.Receipt.Receipt.Step).ToList();
    }

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
            using var output = await RemoteTraining.ForwardAsync(stream, new SpanRequest("tiny", provider.Start, provider.End), input, null, null, new RemoteCallOptions(), new PaidProvider(payments, provider), CancellationToken.None);
        }
        finally
        {
            payments.Paid -= Collect;
        }
        return Assert.Single(paid);
    }

    /// <summary>
    /// Pays for one backward request of a random [batch, length] input and output gradient through the provider's whole
    /// span, with <paramref name="prompts"/> and <paramref name="adapter"/> when given, and returns its receipt.
    /// </summary>
    public static async Task<PaymentRecord> BackwardAsync(SwarmClient swarm, ClientPayments payments, ProviderRecord provider, int batch, int length, int hidden, int seed,
        Tensor? prompts = null, Model.Adapters.LoraAdapter? adapter = null)
    {
        var paid = new List<PaymentRecord>();
        void Collect(PaymentRecord record) => paid.Add(record);
        payments.Paid += Collect;
        try
        {
            var generator = new Generator((ulong)seed);
            using var input = randn([batch, length, hidden], generator: generator);
            using var outputGradient = randn([batch, length, hidden], generator: generator).div_(length);
            await using var stream = await swarm.OpenStreamAsync(provider, PeerzProtocolIds.Backward, CancellationToken.None);
            using var gradients = await RemoteTraining.BackwardAsync(stream, new SpanRequest("tiny", provider.Start, provider.End), input, prompts, adapter, outputGradient,
                new RemoteCallOptions(), new PaidProvider(payments, provider), CancellationToken.None);
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
