using Peerz.Chain.Crypto;
using Peerz.Testing.Chain;

namespace Peerz.Integration.Tests.Chaos;

/// <summary>
/// The devnet of the chaos soak: one-minute reward epochs (so epochs close while the network is under load), and the
/// verifier and settler roles on their own accounts, so the verifier and settlement processes never share a nonce
/// with each other or with the test's own transactions from the deployer.
/// </summary>
public sealed class ChaosDevnet : PeerzDevnet
{
    public const int EpochSeconds = 60;

    public static EthKey VerifierKey => Accounts[5];

    public static EthKey SettlerKey => Accounts[6];

    protected override IReadOnlyDictionary<string, object> DeployOptions { get; } = new Dictionary<string, object>
    {
        ["epochLength"] = EpochSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["minStake"] = (100 * Prz).ToString(),
        ["unbondingDelay"] = "3600",
        ["withdrawalDelay"] = "3600",
        ["rootChallengePeriod"] = "0",
        ["challengePeriod"] = "3600",
        ["claimWindowEpochs"] = "520",
    };

    protected override IReadOnlyDictionary<string, string> DeployEnvironment { get; } = new Dictionary<string, string>
    {
        ["PEERZ_VERIFIERS"] = VerifierKey.Address.ToString(),
        ["PEERZ_SETTLERS"] = SettlerKey.Address.ToString(),
    };
}
