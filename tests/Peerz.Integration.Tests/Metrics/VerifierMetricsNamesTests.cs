using Peerz.Chain.Wallet;
using Peerz.Testing.Chain;
using Peerz.Testing.Processes;

namespace Peerz.Integration.Tests.Metrics;

/// <summary>peerz-verifier's /metrics (on its --http listener) against the [verifier] section of metrics-names.txt.</summary>
[Trait("Category", "Chain")]
public sealed class VerifierMetricsNamesTests(PeerzDevnet devnet, TinyModelFixture model) : IClassFixture<PeerzDevnet>, IClassFixture<TinyModelFixture>, IDisposable
{
    private readonly string _home = TempDirectory.Create("verifier-metrics-names");

    [Fact]
    public async Task The_verifier_serves_the_recorded_families()
    {
        var (provider, address) = ProviderProcess.Start(model.Directory, Path.Combine(_home, "provider.key"), "0:4");
        using var _ = provider;
        var keystore = Path.Combine(_home, "verifier.json");
        var password = Path.Combine(_home, "password");
        await File.WriteAllTextAsync(keystore, Keystore.Encrypt(devnet.Deployer, "metrics", KeystoreKdf.LightScrypt));
        await File.WriteAllTextAsync(password, "metrics\n");
        using var verifier = PeerzProcess.Start(PeerzProcess.AssemblyPath("verifier/Peerz.Verifier.Service", "peerz-verifier"),
        [
            "--model", model.Directory, "--model-id", "tiny", "--bootstrap", address.ToString(), "--rpc-url", devnet.Endpoint.ToString(),
            "--deployment", devnet.WriteDeploymentFile(_home), "--keystore", keystore, "--password-file", password, "--http", "http://127.0.0.1:0",
            "--ledger", Path.Combine(_home, "verifier.db"), "--client-ledger", Path.Combine(_home, "verifier-client.db"), "--probe-seconds", "0",
        ]);
        var url = verifier.WaitForLine("ready ", TimeSpan.FromSeconds(120)).Split(' ')[1];
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        MetricsNamesFile.AssertMatches("verifier", await http.GetStringAsync(url + "/metrics"));
    }

    public void Dispose() => TempDirectory.Delete(_home);
}
