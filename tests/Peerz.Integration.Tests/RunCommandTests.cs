using System.Diagnostics;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Numerics;
using Peerz.Chain.Contracts;
using Peerz.Chain.Crypto;
using Peerz.Chain.Rpc;
using Peerz.Testing.Chain;
using Peerz.Testing.Processes;
using Peerz.Testing.Prometheus;
using Xunit.Abstractions;

namespace Peerz.Integration.Tests;

/// <summary>
/// The README's run command, the way a new user runs it: a fresh clone in a temporary directory (its own npm ci
/// and build), `scripts/run.sh`, then checks of what it promises — generated text, payments on chain, the
/// gateway answering — and a clean stop on SIGTERM. Slow by nature (a full build), so it has its own category.
/// The PATH has no patchelf (the README once required it and a fresh machine lacks it): the build adapts TorchSharp
/// with g++ alone, and every slow step shows its progress on the way.
/// </summary>
[Trait("Category", "RunCommand")]
public sealed class RunCommandTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _clone = TempDirectory.Create("fresh-clone");

    [Fact]
    public async Task The_run_command_starts_a_paying_network_from_a_fresh_clone_and_stops_cleanly()
    {
        using (var git = PeerzProcess.StartProgram("git", ["clone", "--quiet", RepositoryRoot.Path, _clone]))
            Assert.Equal(0, await git.WaitForExitAsync(TimeSpan.FromMinutes(2)));
        var gateway = $"http://127.0.0.1:{HardhatNode.FreePort()}";
        using var pathWithoutPatchelf = new PathWithout("patchelf");
        using var run = PeerzProcess.StartProgram("bash", ["scripts/run.sh", "--max-new-tokens", "12"],
            new Dictionary<string, string> { ["PEERZ_HOME"] = Path.Combine(_clone, ".home"), ["PEERZ_GATEWAY_URL"] = gateway, ["PATH"] = pathWithoutPatchelf.Path }, _clone);
        try
        {
            // A failed build ends the output with the compiler's errors, which the timeout's message shows.
            run.WaitForLine("== building", TimeSpan.FromMinutes(10));
            run.WaitForLine("   1/", TimeSpan.FromMinutes(10)); // the first project built: the build shows its progress
            run.WaitForLine("== the network is running", TimeSpan.FromMinutes(25));
            var summary = run.WaitForLine("accounts:", TimeSpan.FromSeconds(10));
            run.WaitForLine("stop:", TimeSpan.FromSeconds(10)); // the summary ends saying how to stop
            output.WriteLine(run.Output);
            Assert.Contains("paid ", run.Output); // the client's generate line: "paid X PRZ"
            Assert.Equal(3, run.Output.Split('\n').Count(l => l.StartsWith("   done in ", StringComparison.Ordinal))); // build, contracts, providers

            var lines = run.Output.Split('\n');
            var rpc = new Uri(Field(lines, "chain:"));
            var deployment = PeerzDeployment.Load(Field(lines, "deployment:"));
            var addresses = summary.Split([" ", ","], StringSplitOptions.RemoveEmptyEntries).Where(w => w.StartsWith("0x", StringComparison.Ordinal)).Select(Address.Parse).ToList();
            var (client, providers) = (addresses[0], addresses.Skip(1).ToList());

            // Providers redeem every 15 s: within a minute the escrow must show the client's vouchers paid on chain.
            using var http = new HttpClient();
            var escrow = new PaymentEscrow(new EthRpcClient(http, rpc), deployment.Escrow);
            var clock = Stopwatch.StartNew();
            BigInteger redeemed = 0;
            while (redeemed.IsZero && clock.Elapsed < TimeSpan.FromSeconds(90))
            {
                await Task.Delay(2000);
                redeemed = 0;
                foreach (var provider in providers) redeemed += await escrow.RedeemedAsync(client, provider);
            }
            Assert.True(redeemed > 0, "no provider redeemed the client's vouchers on chain");

            using var models = await http.GetAsync(new Uri(new Uri(gateway), "/v1/models"));
            Assert.True(models.IsSuccessStatusCode);

            // The verifier samples the sessions the client reported (rate 0.5 in the run command, checked once quiet for 5 s) and probes.
            var verifier = new Uri(Field(lines, "verifier:"));
            double checkedOk = 0;
            for (clock.Restart(); checkedOk == 0 && clock.Elapsed < TimeSpan.FromSeconds(90); await Task.Delay(2000))
            {
                var metrics = PrometheusText.Parse(await http.GetStringAsync(new Uri(verifier, "/metrics")));
                checkedOk = metrics.Find("peerz_verifications_total", ("result", "ok")) ?? 0;
            }
            Assert.True(checkedOk > 0, "the verifier checked no receipt");

            // A chat request through the gateway is paid like generate, and its receipts reach settlement like generate's:
            // settlement refuses no receipt and no verifier report (a report on a receipt settlement never saw is a 422).
            using var chat = await http.PostAsJsonAsync(new Uri(new Uri(gateway), "/v1/chat/completions"),
                new { messages = new[] { new { role = "user", content = "Hello" } }, max_tokens = 8 });
            Assert.True(chat.IsSuccessStatusCode, await chat.Content.ReadAsStringAsync());
            var verifiedBefore = checkedOk;
            for (clock.Restart(); checkedOk == verifiedBefore && clock.Elapsed < TimeSpan.FromSeconds(90); await Task.Delay(2000))
                checkedOk = PrometheusText.Parse(await http.GetStringAsync(new Uri(verifier, "/metrics"))).Find("peerz_verifications_total", ("result", "ok")) ?? 0;
            var settleLog = string.Concat(await Task.WhenAll(new[] { "settle.out", "settle.log" }.Select(f => File.ReadAllTextAsync(Path.Combine(_clone, ".devnet", f)))));
            Assert.DoesNotContain("/v1/receipts refused", settleLog);
            Assert.DoesNotContain("/v1/verifications refused", settleLog);
        }
        finally
        {
            run.Terminate();
            var exit = await run.WaitForExitAsync(TimeSpan.FromMinutes(2));
            output.WriteLine($"exit {exit}");
        }
        Assert.Contains("stopped;", run.Output);
        Assert.False(PortOpen(new Uri(Field(run.Output.Split('\n'), "chain:")).Port), "the chain is still running after the stop");
    }

    private static string Field(IEnumerable<string> lines, string name) =>
        lines.First(l => l.StartsWith(name, StringComparison.Ordinal))[name.Length..].Trim().Split(' ')[0];

    private static bool PortOpen(int port)
    {
        try
        {
            using var socket = new TcpClient("127.0.0.1", port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    public void Dispose() => TempDirectory.Delete(_clone);
}
