using System.Numerics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Peerz.Chain.Crypto;
using Peerz.Client;
using Peerz.Client.Payments;
using Peerz.Client.Remote;
using Peerz.Client.Routing;
using Peerz.Discovery;
using Peerz.Ledger.Payments;
using Peerz.Model.Blocks;
using Peerz.Model.Checkpoints;
using Peerz.Node.Payments;
using Peerz.Node.Serving;
using Peerz.Node.Swarm;
using Peerz.P2P;
using Peerz.Testing.Chain;

namespace Peerz.Integration.Tests.Payments;

/// <summary>Builds paid providers (staked on the devnet, real libp2p hosts) and paying clients for the payment tests.</summary>
/// <param name="logs">Where the providers' and clients' logs go (default: nowhere; <c>TestOutputLogs</c> puts them in a failing test's report).</param>
public sealed class PaidSwarm(PeerzDevnet devnet, string directory, ILoggerFactory? logs = null) : IAsyncDisposable
{
    private readonly ILoggerFactory _logs = logs ?? NullLoggerFactory.Instance;
    private readonly List<IAsyncDisposable> _owned = [];
    private bool _deleteDirectory;

    /// <summary>A swarm in a fresh temporary directory of its own, deleted when the swarm is disposed (one per test).</summary>
    public static PaidSwarm InTemporaryDirectory(PeerzDevnet devnet, string name) => new(devnet, TempDirectory.Create(name)) { _deleteDirectory = true };

    /// <summary>Where the swarm's ledgers and keys live.</summary>
    public string Directory => directory;

    /// <param name="laneCacheTtl">How long the provider trusts a client's lane read from chain (default: the production default).</param>
    /// <param name="payloadAnswerBytes">Step bytes per /peerz/payload answer (default: the protocol's bound).</param>
    /// <param name="retention">How long the provider keeps step payloads for verifiers (default: the production default).</param>
    /// <param name="announcedAccount">
    /// For an impostor: the account it announces instead of its own (left unregistered, signing with <paramref name="account"/>).
    /// </param>
    public async Task<PaidProviderHost> StartProviderAsync(Checkpoint checkpoint, int start, int end, EthKey account, BigInteger price, IReadOnlyList<Multiaddr> bootstrap, BigInteger stake,
        BlockLoadOptions? load = null, ServingLimits? limits = null, TimeSpan? laneCacheTtl = null, int? payloadAnswerBytes = null, TimeSpan? retention = null,
        Address? announcedAccount = null, WrongOutputFault? fault = null)
    {
        var identity = Identity.Generate();
        if (announcedAccount is null)
            await new ProviderRegistration(devnet.Registry(account), devnet.Token(account), devnet.Deployment.ChainId, _logs.CreateLogger<ProviderRegistration>())
                .EnsureAsync(account, identity.PeerId, price, stake, CancellationToken.None);
        var options = new ProviderPaymentOptions
        {
            ChainId = devnet.Deployment.ChainId,
            Registry = devnet.Deployment.Registry,
            Escrow = devnet.Deployment.Escrow,
            Account = announcedAccount ?? account.Address,
            Signer = account,
            PricePerToken = price,
            BalanceCacheTtl = laneCacheTtl ?? ProviderPaymentOptions.DefaultBalanceCacheTtl,
            MaxPayloadAnswerBytes = payloadAnswerBytes ?? Protocol.Payments.PayloadLimits.MaxResponseBytes,
        };
        if (retention is { } kept) options = options with { PayloadRetention = kept };
        var ledger = await ProviderLedger.OpenAsync(Path.Combine(directory, $"provider-{account.Address}.db"), devnet.Deployment.Escrow, CancellationToken.None);
        var payments = new ProviderPayments(options, ledger, new EscrowAllowances(devnet.Escrow(), options.Account, options.BalanceCacheTtl, TimeProvider.System),
            TimeProvider.System, _logs.CreateLogger<ProviderPayments>());
        var served = new ServedSpan("tiny", BlockSpan.Load(checkpoint, start, end, load), limits ?? new ServingLimits(), fault: fault);
        served.MeasureThroughput(16);
        var node = new ProviderNode(served, new ProviderNodeOptions
        {
            Identity = identity,
            Bootstrap = bootstrap,
            Payments = payments,
            Verifiers = new VerifierRoles(devnet.Registry(), TimeSpan.FromSeconds(30), TimeProvider.System),
        }, _logs);
        await node.StartAsync(CancellationToken.None);
        var host = new PaidProviderHost(node, served, payments, new VoucherRedeemer(ledger, devnet.Escrow(account), options.Account, _logs.CreateLogger<VoucherRedeemer>()));
        _owned.Add(host);
        return host;
    }

    /// <param name="laneAmount">How much the client reserves per lane top-up (default <see cref="EscrowLanes.DefaultTopUp"/>).</param>
    /// <param name="providerQueueTimeout">How long a request waits behind the previous one to the same provider (default: the option's).</param>
    /// <param name="accounts">How the client reads providers' registrations (default: cached for 30 s, as the CLI does).</param>
    public async Task<(SwarmClient Swarm, ClientPayments Payments)> ConnectClientAsync(EthKey client, IReadOnlyList<Multiaddr> bootstrap, BigInteger? laneAmount = null,
        TimeSpan? providerQueueTimeout = null, ProviderAccounts? accounts = null)
    {
        var swarm = new SwarmClient(bootstrap, _logs);
        _owned.Add(swarm);
        await swarm.StartAsync(CancellationToken.None);
        var ledger = await ClientLedger.OpenAsync(Path.Combine(directory, $"client-{client.Address}.db"), devnet.Deployment.Escrow, CancellationToken.None);
        var options = new ClientPaymentOptions { Client = client, ChainId = devnet.Deployment.ChainId, Escrow = devnet.Deployment.Escrow, Registry = devnet.Deployment.Registry };
        if (providerQueueTimeout is { } wait) options = options with { ProviderQueueTimeout = wait };
        var lanes = new EscrowLanes(devnet.Escrow(client), client.Address, laneAmount ?? EscrowLanes.DefaultTopUp, _logs.CreateLogger<EscrowLanes>());
        return (swarm, new ClientPayments(options, ledger, accounts ?? new ProviderAccounts(devnet.Registry(), TimeSpan.FromSeconds(30), TimeProvider.System), TimeProvider.System,
            _logs.CreateLogger<ClientPayments>(), lanes));
    }

    /// <summary>
    /// A paying client whose cached registrations (<paramref name="cacheLifetime"/>) are dropped by a running
    /// <see cref="JailWatch"/> when the registry jails or unjails an account, as `peerz generate` and `peerz serve` run it.
    /// </summary>
    public async Task<(SwarmClient Swarm, ClientPayments Payments, ProviderAccounts Accounts, JailWatch Watch)> ConnectWatchingClientAsync(EthKey client,
        IReadOnlyList<Multiaddr> bootstrap, TimeSpan cacheLifetime, JailWatchOptions watchOptions)
    {
        var accounts = new ProviderAccounts(devnet.Registry(), cacheLifetime, TimeProvider.System);
        var watch = new JailWatch(devnet.Registry(), accounts, watchOptions, TimeProvider.System, _logs.CreateLogger<JailWatch>());
        await watch.StartAsync(CancellationToken.None);
        _owned.Add(new Stopping(watch));
        var (swarm, payments) = await ConnectClientAsync(client, bootstrap, accounts: accounts);
        return (swarm, payments, accounts, watch);
    }

    private sealed class Stopping(JailWatch watch) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await watch.StopAsync(CancellationToken.None);
            watch.Dispose();
        }
    }

    public static DistributedBlockPipeline Pipeline(SwarmClient swarm, ClientPayments payments, int layers) =>
        new(new SpanRequest("tiny", 0, layers), swarm, swarm, new RoutePlanner(swarm.RoundTrip, new Random(3)),
            new RemoteCallOptions { RequestTimeout = TimeSpan.FromSeconds(20) }, NullLogger<DistributedBlockPipeline>.Instance, payments: payments);

    public async ValueTask DisposeAsync()
    {
        foreach (var owned in Enumerable.Reverse(_owned)) await owned.DisposeAsync();
        if (_deleteDirectory) TempDirectory.Delete(directory);
    }
}

/// <summary>A running paid provider and its redeemer.</summary>
public sealed record PaidProviderHost(ProviderNode Node, ServedSpan Served, ProviderPayments Payments, VoucherRedeemer Redeemer) : IAsyncDisposable
{
    public async ValueTask DisposeAsync()
    {
        await Node.DisposeAsync();
        Served.Dispose();
    }
}
