using System.Numerics;
using System.Security.Cryptography;
using Peerz.Chain.Contracts;
using Peerz.Chain.Crypto;
using Peerz.Chain.Rpc;
using Peerz.Settlement;
using Peerz.Settlement.Contributions;
using Peerz.Testing.Chain;

namespace Peerz.Settlement.Tests.Support;

/// <summary>
/// The devnet with hour-long epochs (tests move the chain clock forward by an epoch with evm_increaseTime, so
/// wall-clock time spent in a test never crosses an epoch boundary) and a one-minute timelock.
/// </summary>
public class SettlementDevnet : PeerzDevnet
{
    public const ulong EpochSeconds = 3600;

    protected override IReadOnlyDictionary<string, object> DeployOptions => SettlementDeployOptions;

    protected static IReadOnlyDictionary<string, object> SettlementDeployOptions { get; } = new Dictionary<string, object>
    {
        ["minStake"] = (100 * Prz).ToString(),
        ["unbondingDelay"] = "3600",
        ["withdrawalDelay"] = "3600",
        ["epochLength"] = EpochSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["timelockDelay"] = "60",
        // Claims open as soon as a root is posted unless a test says otherwise; slash challenges last an hour.
        ["rootChallengePeriod"] = "0",
        ["challengePeriod"] = "3600",
    };

    /// <summary>The model settlement is configured with in these tests (receipts name keccak256 of it) and its layers.</summary>
    public const string ModelName = "tiny-llama";

    public const uint ModelLayers = 8;

    public static ServedModels Models => ServedModels.Parse([$"{ModelName}={ModelLayers}"]);

    /// <param name="freshNonces">a sender with its own nonce count, for when processes under test also sent from the deployer</param>
    public Task<SettlementChain> SettlementChainAsync(bool freshNonces = false) =>
        SettlementChain.ConnectAsync(Rpc, Deployment, freshNonces ? new TransactionSender(Rpc, Deployer) : Sender(Deployer), CancellationToken.None);

    public Task AdvanceEpochAsync() => AdvanceTimeAsync(TimeSpan.FromSeconds(EpochSeconds));

    /// <summary>Moves the chain clock forward to <paramref name="timestamp"/> (a no-op when it is already past).</summary>
    public async Task AdvanceToAsync(ulong timestamp)
    {
        var now = await Rpc.BlockTimestampAsync();
        if (timestamp > now) await AdvanceTimeAsync(TimeSpan.FromSeconds(timestamp - now));
    }

    /// <summary>Stakes for <paramref name="provider"/> with a fresh signing key (bound by its proof of possession) and returns that key.</summary>
    public async Task<EthKey> RegisterProviderAsync(EthKey provider)
    {
        var signer = EthKey.Generate();
        var stake = 100 * Prz;
        await Token(provider).ApproveAsync(Deployment.Registry, stake);
        await Registry(provider).StakeAsync(stake, signer.Address, [1, 2, 3, provider.Address.Bytes[0]], BigInteger.One, SignerBinding.Prove(signer, Deployment.ChainId, Deployment.Registry, provider.Address));
        return signer;
    }

    /// <summary>A fresh funded account staked as a provider, and its signer.</summary>
    public async Task<(EthKey Provider, EthKey Signer)> NewProviderAsync()
    {
        var provider = await NewFundedAccountAsync();
        return (provider, await RegisterProviderAsync(provider));
    }

    /// <summary>
    /// <paramref name="client"/> pays <paramref name="provider"/> <paramref name="amount"/> more, on chain: deposit, a lane
    /// for the provider, a voucher for the new cumulative amount, redeemed by the provider (PaymentEscrow.redeemed grows by it).
    /// </summary>
    public async Task PayAsync(EthKey client, EthKey provider, BigInteger amount)
    {
        await Token(client).ApproveAsync(Deployment.Escrow, amount);
        await Escrow(client).DepositAsync(amount);
        await Escrow(client).ReserveAsync(provider.Address, amount);
        var escrow = Escrow();
        var voucher = new Voucher(
            client.Address, provider.Address, await escrow.RedeemedAsync(client.Address, provider.Address) + amount, await escrow.LastNonceAsync(client.Address, provider.Address) + 1);
        await Escrow(provider).RedeemAsync(voucher, voucher.Sign(client, Deployment.ChainId, Deployment.Escrow));
    }

    /// <summary>
    /// What paid work earns under the fee rule (docs/economics.md, "Self-dealing"), computed here independently of
    /// settlement: its pro rata share of the role pool, but at most half the protocol fee its credited PRZ paid.
    /// </summary>
    public async Task<BigInteger> FeeCappedAsync(BigInteger proRata, BigInteger credited) => BigInteger.Min(proRata, await FeeOfAsync(credited) / 2);

    /// <summary>
    /// A receipt of <paramref name="provider"/> for <paramref name="client"/>: <paramref name="tokens"/> tokens over blocks
    /// [start, end) of <see cref="ModelName"/> (or <paramref name="modelId"/>) in a session of kind <paramref name="kind"/>,
    /// charging <paramref name="amount"/>, stamped with the chain's time.
    /// </summary>
    public async Task<WorkReceipt> ReceiptAsync(
        Address provider, Address client, byte kind, uint tokens, uint start, uint end, BigInteger amount, ulong? timestamp = null, byte[]? modelId = null)
    {
        var session = RandomNumberGenerator.GetBytes(32);
        session[0] = kind;
        return new WorkReceipt(
            provider, client, session, 1, modelId ?? Keccak.Hash(ModelName), start, end, RandomNumberGenerator.GetBytes(32), RandomNumberGenerator.GetBytes(32),
            tokens, timestamp ?? await Rpc.BlockTimestampAsync(), 0x02, amount);
    }

    public EthSignature Sign(WorkReceipt receipt, EthKey signer) => receipt.Sign(signer, Deployment.ChainId, Deployment.Registry);

    /// <summary>Settlement options for a test: its data directory, a free port, the test model, no close delay unless given.</summary>
    public static SettlementOptions Options(string directory, TimeSpan? closeDelay = null) =>
        new() { DataDirectory = directory, Listen = new Uri("http://127.0.0.1:0"), Models = Models, CloseDelay = closeDelay ?? TimeSpan.Zero };
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
