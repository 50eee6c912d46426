using System.Collections.Concurrent;
using System.Numerics;
using System.Text.Json;
using Peerz.Chain.Contracts;
using Peerz.Chain.Crypto;
using Peerz.Chain.Rpc;

namespace Peerz.Testing.Chain;

/// <summary>
/// Hardhat's node with the Peerz contracts deployed by scripts/deploy-contracts.mjs (the same script the run
/// command uses), the deployer kept as admin, verifier and settler, and every test account funded with PRZ.
/// Override <see cref="DeployOptions"/> for other parameters (e.g. a short epoch).
/// </summary>
public class PeerzDevnet : HardhatNode
{
    public static readonly BigInteger Prz = BigInteger.Pow(10, 18);

    /// <summary>PRZ each of <see cref="HardhatNode.Accounts"/> (except the deployer) receives.</summary>
    public static readonly BigInteger FundingPerAccount = 100_000 * Prz;

    private readonly ConcurrentDictionary<Address, TransactionSender> _senders = new();

    public PeerzDeployment Deployment { get; private set; } = null!;

    public EthKey Deployer => Accounts[0];

    /// <summary>Overrides of scripts/lib/peerz-deploy.mjs DEFAULTS (integers as strings).</summary>
    protected virtual IReadOnlyDictionary<string, object> DeployOptions { get; } = new Dictionary<string, object>
    {
        ["minStake"] = (100 * Prz).ToString(),
        ["unbondingDelay"] = "3600",
        ["withdrawalDelay"] = "3600",
        // Claims open as soon as a root is posted: tests do not wait out governance's veto window.
        ["rootChallengePeriod"] = "0",
        ["challengePeriod"] = "3600",
    };

    /// <summary>True (default): the deployer stays admin of registry and rewards. False: admin goes to the timelock, as in production (DAO tests).</summary>
    protected virtual bool KeepAdmin => true;

    /// <summary>More environment for scripts/deploy-contracts.mjs (e.g. PEERZ_VERIFIERS, PEERZ_SETTLERS: role holders other than the deployer).</summary>
    protected virtual IReadOnlyDictionary<string, string> DeployEnvironment { get; } = new Dictionary<string, string>();

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        var environment = new Dictionary<string, string> { ["PEERZ_DEPLOY_OPTIONS"] = JsonSerializer.Serialize(DeployOptions) };
        if (KeepAdmin) environment["PEERZ_KEEP_ADMIN"] = "1";
        foreach (var (name, value) in DeployEnvironment) environment[name] = value;
        var output = await RunAgainstNodeAsync(["run", "scripts/deploy-contracts.mjs", "--network", "devnet"], environment, TimeSpan.FromMinutes(3));
        Deployment = PeerzDeployment.Parse(output[output.IndexOf('{', StringComparison.Ordinal)..]);
        var token = Token(Deployer);
        foreach (var account in Accounts.Skip(1))
        {
            await token.TransferAsync(account.Address, FundingPerAccount);
        }
    }

    /// <summary>A fresh account with 1000 ETH for gas and <see cref="FundingPerAccount"/> PRZ, for tests that must not share state.</summary>
    public async Task<EthKey> NewFundedAccountAsync()
    {
        var key = EthKey.Generate();
        await Rpc.CallAsync("hardhat_setBalance", [key.Address.ToString(), "0x3635C9ADC5DEA00000"]);
        await Token(Deployer).TransferAsync(key.Address, FundingPerAccount);
        return key;
    }

    /// <summary>Drops the cached senders: after processes under test sent from these accounts, each next transaction reads its nonce from the chain.</summary>
    public void ForgetNonces() => _senders.Clear();

    /// <summary>A transaction sender for <paramref name="key"/>; senders of one key must share its nonce manager, so keep one per key.</summary>
    public TransactionSender Sender(EthKey key) => _senders.GetOrAdd(key.Address, _ => new TransactionSender(Rpc, key));

    /// <summary>The protocol fee the escrow takes from one redemption of <paramref name="amount"/> (its rate read from chain).</summary>
    public async Task<BigInteger> FeeOfAsync(BigInteger amount) => amount * await Escrow().ProtocolFeeBpsAsync() / 10_000;

    public PeerzToken Token(EthKey? key = null) => new(Rpc, Deployment.Token, key is null ? null : Sender(key));

    public ProviderRegistry Registry(EthKey? key = null) => new(Rpc, Deployment.Registry, key is null ? null : Sender(key));

    public PaymentEscrow Escrow(EthKey? key = null) => new(Rpc, Deployment.Escrow, key is null ? null : Sender(key));

    public EpochRewards Rewards(EthKey? key = null) => new(Rpc, Deployment.Rewards, key is null ? null : Sender(key));

    /// <summary>Writes the deployment JSON where executables under test can read it (<c>--deployment FILE</c>).</summary>
    public string WriteDeploymentFile(string directory)
    {
        var path = Path.Combine(directory, "deployment.json");
        File.WriteAllText(path, Deployment.ToJson());
        return path;
    }
}
