using System.Numerics;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Peerz.Chain.Crypto;
using Peerz.Client.Payments;
using Peerz.Discovery;
using Peerz.Model.Blocks;
using Peerz.Model.Checkpoints;
using Peerz.Node.Serving;
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
public sealed class VerifiedSwarm(PeerzDevnet devnet, string directory, ILoggerFactory? logs = null) : IAsyncDisposable
{
    /// <summary>A swarm with a fresh temporary directory named after <paramref name="name"/>; its hosts log to <paramref name="logs"/> (default: nowhere).</summary>
    public static VerifiedSwarm Create(PeerzDevnet devnet, string name, ILoggerFactory? logs = null) => new(devnet, TempDirectory.Create(name), logs);

    public string Directory => directory;

    public Payments.PaidSwarm Clients { get; } = new(devnet, directory, logs);

    /// <summary>A staked provider of blocks [0, 4) of a 4-block model announced as "tiny" (the test shape of any architecture).</summary>
    /// <param name="payloadAnswerBytes">Step bytes per /peerz/payload answer (default: the protocol's bound); small values make the verifier fetch in chunks.</param>
    /// <param name="limits">Serving limits (default: <see cref="ServingLimits"/>' defaults, batching off).</param>
    /// <param name="fault">Wrong answers the provider signs like honest ones (default: none).</param>
    public Task<Payments.PaidProviderHost> StartProviderAsync(Checkpoint checkpoint, EthKey account, BigInteger price, IReadOnlyList<Multiaddr> bootstrap, BigInteger stake,
        BlockLoadOptions? load = null, TimeSpan? retention = null, int payloadAnswerBytes = PayloadLimits.MaxResponseBytes, ServingLimits? limits = null, WrongOutputFault? fault = null) =>
        Clients.StartProviderAsync(checkpoint, 0, 4, account, price, bootstrap, stake, load, limits, payloadAnswerBytes: payloadAnswerBytes, retention: retention, fault: fault);

    /// <summary>An unstaked peer announcing <paramref name="victim"/> as its account, signing with its own key.</summary>
    public Task<Payments.PaidProviderHost> StartImpostorAsync(Checkpoint checkpoint, Address victim, IReadOnlyList<Multiaddr> bootstrap, BlockLoadOptions? load = null) =>
        Clients.StartProviderAsync(checkpoint, 0, 4, EthKey.Generate(), 1, bootstrap, stake: 0, load, announcedAccount: victim);

    /// <summary>A client with 10 PRZ deposited (it reserves lanes for the providers it pays itself).</summary>
    public async Task<(SwarmClient Swarm, ClientPayments Payments)> ConnectPayingClientAsync(EthKey client, IReadOnlyList<Multiaddr> bootstrap)
    {
        await devnet.Token(client).ApproveAsync(devnet.Deployment.Escrow, 10 * PeerzDevnet.Prz);
        await devnet.Escrow(client).DepositAsync(10 * PeerzDevnet.Prz);
        return await Clients.ConnectClientAsync(client, bootstrap);
    }

    public async ValueTask DisposeAsync()
    {
        await Clients.DisposeAsync();
        SqliteConnection.ClearAllPools();
        TempDirectory.Delete(Directory);
    }
}
