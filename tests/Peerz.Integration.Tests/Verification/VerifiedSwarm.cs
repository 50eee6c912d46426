using System.Numerics;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Peerz.Chain.Crypto;
using Peerz.Client.Payments;
using Peerz.Discovery;
using Peerz.Ledger.Payments;
using Peerz.Model.Blocks;
using Peerz.Model.Checkpoints;
using Peerz.Node.Payments;
using Peerz.Node.Serving;
using Peerz.Node.Swarm;
using Peerz.P2P;
using Peerz.Protocol.Payments;
using Peerz.Testing.Chain;

namespace Peerz.Integration.Tests.Verification;

/// <summary>
/// Paid providers as a verifier meets them in production: staked on the devnet, answering /peerz/payload to holders
/// of VERIFIER_ROLE, with a payload retention window; and, for the attacks, a provider that announces someone else's
/// account (unregistered, its own signer). Clients come from the payment tests' <see cref="Payments.PaidSwarm"/>.
/// Owns <paramref name="directory"/>, where the test's files go (ledgers, models): it is deleted on dispose.
/// </summary>
public sealed class VerifiedSwarm(PeerzDevnet devnet, string directory) : IAsyncDisposable
{
    private readonly List<IAsyncDisposable> _owned = [];

    /// <summary>A swarm with a fresh temporary directory named after <paramref name="name"/>.</summary>
    public static VerifiedSwarm Create(PeerzDevnet devnet, string name) => new(devnet, TempDirectory.Create(name));

    public string Directory => directory;

    public Payments.PaidSwarm Clients { get; } = new(devnet, directory);

    /// <summary>A staked provider of blocks [0, 4) of a 4-block model announced as "tiny" (the test shape of any architecture).</summary>
    /// <param name="payloadAnswerBytes">Step bytes per /peerz/payload answer (default: the protocol's bound); small values make the verifier fetch in chunks.</param>
    /// <param name="limits">Serving limits (default: <see cref="ServingLimits"/>' defaults, batching off).</param>
    /// <param name="fault">Wrong answers the provider signs like honest ones (default: none).</param>
    public Task<Payments.PaidProviderHost> StartProviderAsync(Checkpoint checkpoint, EthKey account, BigInteger price, IReadOnlyList<Multiaddr> bootstrap, BigInteger stake,
        BlockLoadOptions? load = null, TimeSpan? retention = null, int payloadAnswerBytes = PayloadLimits.MaxResponseBytes, ServingLimits? limits = null, WrongOutputFault? fault = null) =>
        StartAsync(checkpoint, account, account.Address, price, bootstrap, stake, load, retention ?? TimeSpan.FromHours(1), payloadAnswerBytes, limits, fault);

    /// <summary>An unstaked peer announcing <paramref name="victim"/> as its account, signing with its own key.</summary>
    public Task<Payments.PaidProviderHost> StartImpostorAsync(Checkpoint checkpoint, Address victim, IReadOnlyList<Multiaddr> bootstrap, BlockLoadOptions? load = null) =>
        StartAsync(checkpoint, EthKey.Generate(), victim, 1, bootstrap, stake: 0, load, TimeSpan.FromHours(1), PayloadLimits.MaxResponseBytes, limits: null, fault: null);

    private async Task<Payments.PaidProviderHost> StartAsync(Checkpoint checkpoint, EthKey signer, Address account, BigInteger price, IReadOnlyList<Multiaddr> bootstrap,
        BigInteger stake, BlockLoadOptions? load, TimeSpan retention, int payloadAnswerBytes, ServingLimits? limits, WrongOutputFault? fault)
    {
        var identity = Identity.Generate();
        if (stake > 0)
            await new ProviderRegistration(devnet.Registry(signer), devnet.Token(signer), devnet.Deployment.ChainId, NullLogger<ProviderRegistration>.Instance)
                .EnsureAsync(signer, identity.PeerId, price, stake, CancellationToken.None);
        var options = new ProviderPaymentOptions
        {
            ChainId = devnet.Deployment.ChainId,
            Registry = devnet.Deployment.Registry,
            Escrow = devnet.Deployment.Escrow,
            Account = account,
            Signer = signer,
            PricePerToken = price,
            PayloadRetention = retention,
            MaxPayloadAnswerBytes = payloadAnswerBytes,
        };
        var ledger = await ProviderLedger.OpenAsync(Path.Combine(directory, $"provider-{identity.PeerId}.db"), devnet.Deployment.Escrow, CancellationToken.None);
        var payments = new ProviderPayments(options, ledger, new EscrowAllowances(devnet.Escrow(), account, options.BalanceCacheTtl, TimeProvider.System),
            TimeProvider.System, NullLogger<ProviderPayments>.Instance);
        var served = new ServedSpan("tiny", BlockSpan.Load(checkpoint, 0, 4, load), limits ?? new ServingLimits(), fault: fault);
        served.MeasureThroughput(16);
        var node = new ProviderNode(served, new ProviderNodeOptions
        {
            Identity = identity,
            Bootstrap = bootstrap,
            Payments = payments,
            Verifiers = new VerifierRoles(devnet.Registry(), TimeSpan.FromMinutes(1), TimeProvider.System),
        }, NullLoggerFactory.Instance);
        await node.StartAsync(CancellationToken.None);
        var host = new Payments.PaidProviderHost(node, served, payments, new VoucherRedeemer(ledger, devnet.Escrow(signer), account, NullLogger<VoucherRedeemer>.Instance));
        _owned.Add(host);
        return host;
    }

    /// <summary>A client with 10 PRZ deposited (it reserves lanes for the providers it pays itself).</summary>
    public async Task<(SwarmClient Swarm, ClientPayments Payments)> ConnectPayingClientAsync(EthKey client, IReadOnlyList<Multiaddr> bootstrap)
    {
        await devnet.Token(client).ApproveAsync(devnet.Deployment.Escrow, 10 * PeerzDevnet.Prz);
        await devnet.Escrow(client).DepositAsync(10 * PeerzDevnet.Prz);
        return await Clients.ConnectClientAsync(client, bootstrap);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var owned in Enumerable.Reverse(_owned)) await owned.DisposeAsync();
        await Clients.DisposeAsync();
        SqliteConnection.ClearAllPools();
        TempDirectory.Delete(Directory);
    }
}
