using System.Numerics;
using Microsoft.Extensions.Logging;
using Peerz.Chain.Crypto;
using Peerz.Chain.Wallet;
using Peerz.Client;
using Peerz.Client.Payments;
using Peerz.Client.Remote;
using Peerz.Client.Routing;
using Peerz.Discovery;
using Peerz.Model.Blocks;
using Peerz.Model.Checkpoints;
using Peerz.Model.Client;
using Peerz.Model.Generation;
using Peerz.Model.Tiny;
using Peerz.Node.Serving;
using Peerz.P2P;
using Peerz.Protocol.Payments;
using Peerz.Protocol.Wire;
using Peerz.Testing.Chain;
using Peerz.Testing.Logging;
using Peerz.Testing.Processes;
using Peerz.Verifier.Storage;
using Peerz.Verifier.Verification;
using Xunit.Abstractions;

namespace Peerz.Integration.Tests.Verification;

/// <summary>
/// Issue 18: an honest provider is never slashed for last-bit float differences. Providers serve the ways an honest one
/// legitimately may — `peerz-provider` processes on 1 and 4 intra-op threads (OMP_NUM_THREADS, read by libtorch at
/// start; threads are process-wide, hence processes), decode steps of concurrent sessions of different lengths batched
/// into one forward pass, blockwise-int8 output compression — and the real verifier (payload fetch, replay, compare)
/// judges every step Honest; outputs just beyond the float32 bound (weights rounded to bfloat16, signed as float32) and
/// another model's outputs are judged Mismatch. The measured distributions are in docs/verification.md.
/// </summary>
[Trait("Category", "Chain")]
public sealed class HonestVariationTests(TinyModelFixture model, PeerzDevnet devnet, ITestOutputHelper output)
    : IClassFixture<TinyModelFixture>, IClassFixture<PeerzDevnet>, IAsyncLifetime
{
    private static readonly BigInteger Price = 1_000_000_000;
    private static readonly BigInteger Stake = 100 * PeerzDevnet.Prz;
    // Providers' warnings and errors go to the test's output: a failing step's cause is in the failure report.
    private readonly VerifiedSwarm _swarm = VerifiedSwarm.Create(devnet, "honest-variation", TestOutputLogs.Factory(output));

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _swarm.DisposeAsync();

    [Fact]
    public async Task Provider_processes_on_1_and_4_threads_serving_concurrent_sessions_are_judged_honest()
    {
        var providers = new List<(int Threads, PeerzProcess Process, Multiaddr Address, string Account)>();
        try
        {
            foreach (var threads in new[] { 1, 4 })
            {
                var key = await devnet.NewFundedAccountAsync();
                var (process, address) = StartProviderProcess(key, threads);
                providers.Add((threads, process, address, key.Address.ToString()));
            }
            var clients = await ConnectClientsAsync(providers.Select(p => p.Address).ToList());
            var records = await clients[0].Swarm.GetProvidersAsync("tiny", CancellationToken.None);
            var ledger = await VerifierLedger.OpenAsync(Path.Combine(_swarm.Directory, "verifier.db"), CancellationToken.None);
            using var harness = new VerifierHarness(devnet, model.Directory, clients[0].Swarm, ledger);
            foreach (var (threads, _, _, account) in providers)
            {
                var provider = records.Single(r => r.Account == account);
                var sessions = await ServeConcurrentSessionsAsync(clients, provider, TensorCompression.None);
                await AssertHonestAsync(harness, sessions, $"{threads} thread(s)");
            }
        }
        finally
        {
            foreach (var provider in providers) provider.Process.Dispose();
        }
    }

    [Fact]
    public async Task Decode_steps_of_mixed_sessions_batched_into_one_pass_are_judged_honest_in_every_mode()
    {
        using var checkpoint = Checkpoint.Open(model.Directory);
        var batched = new ServingLimits { Batching = new BatchingOptions { Window = TimeSpan.FromMilliseconds(50) } };
        var modes = new (string Name, BlockLoadOptions Load)[]
        {
            ("float32", new BlockLoadOptions()),
            ("bfloat16", new BlockLoadOptions { DType = TorchSharp.torch.ScalarType.BFloat16 }),
            ("int8", new BlockLoadOptions { Quantization = WeightQuantization.Int8 }),
            ("nf4", new BlockLoadOptions { Quantization = WeightQuantization.Nf4 }),
        };
        var hosts = new List<Payments.PaidProviderHost>();
        for (var i = 0; i < modes.Length; i++)
            hosts.Add(await _swarm.StartProviderAsync(checkpoint, await devnet.NewFundedAccountAsync(), Price, hosts.Count == 0 ? [] : hosts[0].Node.ListenAddresses, Stake, modes[i].Load, limits: batched));
        foreach (var host in hosts) await host.Node.AnnounceAsync(CancellationToken.None);
        var clients = await ConnectClientsAsync(hosts[0].Node.ListenAddresses);
        var records = await clients[0].Swarm.GetProvidersAsync("tiny", CancellationToken.None);
        var ledger = await VerifierLedger.OpenAsync(Path.Combine(_swarm.Directory, "verifier.db"), CancellationToken.None);
        using var harness = new VerifierHarness(devnet, model.Directory, clients[0].Swarm, ledger);

        for (var i = 0; i < modes.Length; i++)
        {
            var provider = records.Single(r => r.Account == hosts[i].Payments.Options.Account.ToString());
            // Blockwise int8 on the wire: an honest value near a rounding boundary lands one code away from the verifier's.
            foreach (var compression in new[] { TensorCompression.None, TensorCompression.BlockwiseInt8 })
            {
                var before = hosts[i].Served.Batcher!.Batches;
                var sessions = await ServeConcurrentSessionsAsync(clients, provider, compression);
                Assert.True(hosts[i].Served.Batcher!.Batches > before, $"{modes[i].Name}: no decode steps of two sessions shared a pass");
                await AssertHonestAsync(harness, sessions, $"{modes[i].Name}, batched, output {compression}");
            }
        }
    }

    [Fact]
    public async Task Outputs_beyond_the_bound_and_another_models_outputs_are_judged_mismatch()
    {
        // Just beyond the float32 bound: the same weights rounded to bfloat16, served in float32 and signed as float32.
        var roundedDirectory = Path.Combine(_swarm.Directory, "bf16-weights");
        TinyModelGenerator.Write(roundedDirectory, TinyModelFixture.TestShape with { StorageDType = "BF16" });
        var otherDirectory = Path.Combine(_swarm.Directory, "other-seed");
        TinyModelGenerator.Write(otherDirectory, TinyModelFixture.TestShape with { Seed = TinyModelFixture.TestShape.Seed + 1 });
        using var rounded = Checkpoint.Open(roundedDirectory);
        using var other = Checkpoint.Open(otherDirectory);
        var near = await _swarm.StartProviderAsync(rounded, await devnet.NewFundedAccountAsync(), Price, [], Stake);
        var far = await _swarm.StartProviderAsync(other, await devnet.NewFundedAccountAsync(), Price, near.Node.ListenAddresses, Stake);
        // Another model in NF4, signed as NF4: judged against the verifier's NF4 replay of the right model.
        var farNf4 = await _swarm.StartProviderAsync(other, await devnet.NewFundedAccountAsync(), Price, near.Node.ListenAddresses, Stake, new BlockLoadOptions { Quantization = WeightQuantization.Nf4 });
        foreach (var host in new[] { near, far, farNf4 }) await host.Node.AnnounceAsync(CancellationToken.None);
        var clients = await ConnectClientsAsync(near.Node.ListenAddresses);
        var records = await clients[0].Swarm.GetProvidersAsync("tiny", CancellationToken.None);
        var ledger = await VerifierLedger.OpenAsync(Path.Combine(_swarm.Directory, "verifier.db"), CancellationToken.None);
        using var harness = new VerifierHarness(devnet, model.Directory, clients[0].Swarm, ledger);

        foreach (var (host, name, lowest, highest) in new[] { (near, "bfloat16-rounded weights", 1e-3, 0.1), (far, "another seed", 0.3, double.MaxValue), (farNf4, "another seed in nf4", 0.3, double.MaxValue) })
        {
            var provider = records.Single(r => r.Account == host.Payments.Options.Account.ToString());
            var sessions = await ServeConcurrentSessionsAsync(clients, provider, TensorCompression.None);
            foreach (var last in sessions)
            {
                var outcome = (await harness.Service.CheckAsync(last.Receipt, CancellationToken.None))!;
                output.WriteLine($"{name}: {outcome.Verdict}, divergence {outcome.Divergence:G3}, tolerance {outcome.Tolerance:G3}");
                Assert.Equal(VerificationVerdict.Mismatch, outcome.Verdict);
                Assert.InRange(outcome.Divergence, lowest, highest);
            }
        }
    }

    /// <summary>
    /// One paying client per session: a client's requests to one provider take turns (its vouchers are cumulative), so
    /// concurrent sessions, as a batching provider sees them, come from different clients.
    /// </summary>
    private async Task<IReadOnlyList<(SwarmClient Swarm, ClientPayments Payments)>> ConnectClientsAsync(IReadOnlyList<Multiaddr> bootstrap)
    {
        var clients = new List<(SwarmClient, ClientPayments)>();
        foreach (var _ in Prompts) clients.Add(await _swarm.ConnectPayingClientAsync(await devnet.NewFundedAccountAsync(), bootstrap));
        return clients;
    }

    /// <summary>Prompts of different lengths, so the sessions' caches differ in length within a batch.</summary>
    private static readonly int[][] Prompts = [[3, 9, 27], [100, 50, 25, 12, 6, 3, 1], [7, 14, 21, 28, 35, 42, 49, 56, 63, 70, 77]];

    /// <summary>
    /// The sessions of <see cref="Prompts"/> generating at once through <paramref name="provider"/>, one per client (so a
    /// batching provider packs their decode steps together); returns the last inference receipt of each session, whose
    /// check replays and compares every step of it.
    /// </summary>
    private async Task<IReadOnlyList<PaymentRecord>> ServeConcurrentSessionsAsync(IReadOnlyList<(SwarmClient Swarm, ClientPayments Payments)> clients, ProviderRecord provider,
        TensorCompression compression)
    {
        var paid = new List<PaymentRecord>();
        void Collect(PaymentRecord record)
        {
            lock (paid) paid.Add(record);
        }
        foreach (var (_, payments) in clients) payments.Paid += Collect;
        try
        {
            await Task.WhenAll(Prompts.Select((prompt, i) => Task.Run(async () =>
            {
                using var checkpoint = Checkpoint.Open(model.Directory);
                using var head = ClientHead.Load(checkpoint);
                var (swarm, payments) = clients[i];
                var pipeline = new DistributedBlockPipeline(new SpanRequest("tiny", 0, 4), new OnlyProvider(provider), swarm, new RoutePlanner(swarm.RoundTrip, new Random(1)),
                    new RemoteCallOptions { Compression = compression }, new Logger<DistributedBlockPipeline>(TestOutputLogs.Factory(output)), payments: payments);
                await new TextGenerator(head, pipeline).GenerateAsync(prompt, new GenerationOptions { MaxNewTokens = 10 }).ToListAsync();
            })));
        }
        finally
        {
            foreach (var (_, payments) in clients) payments.Paid -= Collect;
        }
        var sessions = paid.Where(p => p.Receipt.Kind == WorkKind.Inference)
            .GroupBy(p => Convert.ToHexString(p.Receipt.Receipt.SessionId))
            .Select(session => session.MaxBy(p => p.Receipt.Receipt.Step)!).ToList();
        Assert.Equal(Prompts.Length, sessions.Count);
        return sessions;
    }

    private async Task AssertHonestAsync(VerifierHarness harness, IReadOnlyList<PaymentRecord> sessions, string what)
    {
        foreach (var last in sessions)
        {
            var outcome = (await harness.Service.CheckAsync(last.Receipt, CancellationToken.None))!;
            output.WriteLine($"{what}: {last.Receipt.Receipt.Step + 1} steps, {outcome.Verdict}, worst divergence {outcome.Divergence:G3}, tolerance {outcome.Tolerance:G3}");
            Assert.True(outcome.Verdict == VerificationVerdict.Honest, $"{what}: {outcome.Detail}");
        }
    }

    /// <summary>A staked `peerz-provider` of blocks [0, 4) whose libtorch runs <paramref name="threads"/> intra-op threads.</summary>
    private (PeerzProcess Process, Multiaddr Address) StartProviderProcess(EthKey key, int threads)
    {
        var directory = Path.Combine(_swarm.Directory, $"provider-{threads}");
        Directory.CreateDirectory(directory);
        var keystore = Path.Combine(directory, "provider.json");
        var passwordFile = Path.Combine(directory, "password");
        File.WriteAllText(keystore, Keystore.Encrypt(key, "correct horse", KeystoreKdf.LightScrypt));
        File.WriteAllText(passwordFile, "correct horse\n");
        var process = PeerzProcess.Start(PeerzProcess.AssemblyPath("node/Peerz.Provider", "peerz-provider"),
        [
            "--model", model.Directory, "--model-id", "tiny", "--blocks", "0:4", "--identity", Path.Combine(directory, "provider.key"),
            "--stake", "100", "--price", Price.ToString(), "--batch-window-ms", "50",
            "--rpc-url", devnet.Endpoint.ToString(), "--deployment", devnet.WriteDeploymentFile(directory),
            "--keystore", keystore, "--password-file", passwordFile, "--ledger", Path.Combine(directory, "ledger.db"),
        ], new Dictionary<string, string> { ["OMP_NUM_THREADS"] = threads.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        try
        {
            return (process, Multiaddr.Parse(process.WaitForLine("ready ", TimeSpan.FromSeconds(120)).Split(' ')[1]));
        }
        catch
        {
            process.Dispose();
            throw;
        }
    }
}
