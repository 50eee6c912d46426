using System.Numerics;
using Peerz.Chain.Contracts;
using Peerz.Chain.Crypto;
using Peerz.Chain.Rpc;
using Peerz.Settlement;
using Peerz.Testing.Chain;

namespace Peerz.Settlement.Tests.Support;

/// <summary>
/// The devnet with hour-long epochs (tests move the chain clock forward by an epoch with evm_increaseTime, so
/// wall-clock time spent in a test never crosses an epoch boundary) and a one-minute timelock.
/// </summary>
public class SettlementDevnet : PeerzDevnet
{
    public const ulong EpochSeconds = 3600;

    protected override IReadOnlyDictionary<string, object> DeployOptions { get; } = new Dictionary<string, object>
    {
        ["minStake"] = (100 * Prz).ToString(),
        ["unbondingDelay"] = "3600",
        ["withdrawalDelay"] = "3600",
        ["epochLength"] = EpochSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["timelockDelay"] = "60",
    };

    /// <param name="freshNonces">a sender with its own nonce count, for when processes under test also sent from the deployer</param>
    public Task<SettlementChain> SettlementChainAsync(bool freshNonces = false) =>
        SettlementChain.ConnectAsync(Rpc, Deployment, freshNonces ? new TransactionSender(Rpc, Deployer) : Sender(Deployer), CancellationToken.None);

    public Task AdvanceEpochAsync() => AdvanceTimeAsync(TimeSpan.FromSeconds(EpochSeconds));

    /// <summary>Stakes for <paramref name="provider"/> with a fresh signing key (a top-up when already registered) and returns that key.</summary>
    public async Task<EthKey> RegisterProviderAsync(EthKey provider)
    {
        var signer = EthKey.Generate();
        var stake = 100 * Prz;
        await Token(provider).ApproveAsync(Deployment.Registry, stake);
        await Registry(provider).StakeAsync(stake, signer.Address, [1, 2, 3, provider.Address.Bytes[0]], BigInteger.One);
        return signer;
    }

    /// <summary>A receipt of <paramref name="tokens"/> tokens over blocks [start, end) in a session of kind <paramref name="kind"/>, stamped with the chain's time.</summary>
    public async Task<WorkReceipt> ReceiptAsync(byte kind, uint tokens, uint start, uint end, ulong? timestamp = null)
    {
        var session = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        session[0] = kind;
        return new WorkReceipt(
            session, 1, Keccak.Hash("tiny-llama"), start, end, System.Security.Cryptography.RandomNumberGenerator.GetBytes(32),
            System.Security.Cryptography.RandomNumberGenerator.GetBytes(32), tokens, timestamp ?? await Rpc.BlockTimestampAsync());
    }
}

/// <summary>A devnet deployed as in production: the timelock is the only admin of registry and rewards.</summary>
public class GovernedDevnet : SettlementDevnet
{
    protected override bool KeepAdmin => false;
}

[CollectionDefinition(Name)]
public sealed class SettlementDevnetCollection : ICollectionFixture<SettlementDevnet>
{
    public const string Name = "settlement devnet";
}
