using System.Text.Json;
using System.Text.RegularExpressions;
using Peerz.Chain.Wallet;
using Peerz.Model.Tiny;
using Peerz.Testing.Chain;
using Peerz.Testing.Processes;
using Xunit.Abstractions;

namespace Peerz.Integration.Tests;

/// <summary>
/// `peerz-provider --status-listen` as a real process on a devnet: chromium (js/provider-status.mjs) opens the page, which
/// must show the span, reachability, cache budget and the stake and jail the registry holds (read here independently).
/// Saves TestResults/provider-status.png.
/// </summary>
[Trait("Category", "Browser")]
public sealed partial class ProviderStatusPageTests(PeerzDevnet devnet, ITestOutputHelper output) : IClassFixture<PeerzDevnet>, IDisposable
{
    private const long CacheBytes = 8L * 1024 * 1024;
    private readonly string _home = TempDirectory.Create("provider-status");

    [ChromiumFact]
    public async Task The_status_page_shows_span_cache_reachability_and_the_registrys_stake_and_jail()
    {
        var model = Path.Combine(_home, "tiny");
        TinyCheckpoint.Write(model, TinyModelFixture.TestShape with { Vocab = 512 });
        var keystore = Path.Combine(_home, "keystore.json");
        var password = Path.Combine(_home, "password");
        await File.WriteAllTextAsync(keystore, Keystore.Encrypt(HardhatNode.Accounts[5], "status", KeystoreKdf.LightScrypt));
        await File.WriteAllTextAsync(password, "status\n");
        var (provider, _) = ProviderProcess.Start(model, Path.Combine(_home, "provider.key"), "1:3",
        [
            "--rpc-url", devnet.Endpoint.ToString(), "--deployment", devnet.WriteDeploymentFile(_home), "--keystore", keystore, "--password-file", password,
            "--ledger", Path.Combine(_home, "ledger.db"), "--stake", "150", "--price", "1000", "--cache-bytes", CacheBytes.ToString(),
            "--status-listen", "http://127.0.0.1:0",
        ]);
        using var _ = provider;
        var url = StatusLine().Match(provider.Output).Groups[1].Value;
        Assert.False(string.IsNullOrEmpty(url), "no 'status page on' line:\n" + provider.Output);

        var screenshot = BrowserPage.Screenshot("provider-status.png");
        var script = BrowserPage.Script("provider-status.mjs");
        var run = await NodeScript.RunAsync(script, [url, screenshot, ChromiumFactAttribute.ExecutablePath], TimeSpan.FromSeconds(90));
        Assert.True(run.ExitCode == 0, run.Error + "\n" + provider.Output);
        output.WriteLine($"screenshot: {screenshot}");
        using var result = JsonDocument.Parse(run.Output);
        Assert.Empty(result.RootElement.GetProperty("consoleErrors").EnumerateArray());
        var shown = result.RootElement.GetProperty("shown");
        Assert.Equal("tiny blocks [1,3)", shown.GetProperty("span").GetString());
        Assert.Equal("online", shown.GetProperty("state").GetString());
        // Alone, no peer can dial it back for AutoNAT, so reachability is still unknown (as /peerz/info says).
        Assert.Equal("unknown", shown.GetProperty("reachability").GetString());
        Assert.StartsWith("0 of at most ", shown.GetProperty("sessions").GetString());
        Assert.Equal("0.0 MiB used of 8.0 MiB", shown.GetProperty("cache").GetString());
        Assert.Equal("1000 wei per token per block", shown.GetProperty("price").GetString());

        var onChain = await devnet.Registry().GetProviderAsync(HardhatNode.Accounts[5].Address);
        Assert.Equal(150 * PeerzDevnet.Prz, onChain.Stake);
        Assert.Equal($"150 PRZ · account {HardhatNode.Accounts[5].Address}", shown.GetProperty("stake").GetString());
        Assert.False(onChain.Jailed);
        Assert.Equal("no (active)", shown.GetProperty("jailed").GetString());
    }

    public void Dispose() => TempDirectory.Delete(_home);

    [GeneratedRegex(@"status page on (http://\S+/)")]
    private static partial Regex StatusLine();
}
