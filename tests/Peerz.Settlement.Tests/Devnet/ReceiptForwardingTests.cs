using System.Net;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging.Abstractions;
using Peerz.Chain.Crypto;
using Peerz.Settlement.Contributions;
using Peerz.Settlement.Http;
using Peerz.Settlement.Tests.Support;
using Peerz.Testing;
using Peerz.Testing.Chain;

namespace Peerz.Settlement.Tests.Devnet;

/// <summary>Accepted receipts reach the configured verifiers (a real HTTP listener here) with the body settlement took; refused ones do not.</summary>
[Collection(SettlementDevnetCollection.Name)]
[Trait("Category", "Chain")]
public sealed class ReceiptForwardingTests(SettlementDevnet devnet) : IDisposable
{
    private readonly string _directory = TempDirectory.Create("settle-forward");
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };

    public void Dispose()
    {
        _http.Dispose();
        TempDirectory.Delete(_directory);
    }

    [Fact]
    public async Task Every_accepted_receipt_is_forwarded_once_and_a_dead_verifier_does_not_slow_intake()
    {
        var port = HardhatNode.FreePort();
        using var listener = new HttpListener();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        listener.Start();
        var received = Channel.CreateUnbounded<(string Method, string Path, string Body)>();
        var serving = Task.Run(async () =>
        {
            while (listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await listener.GetContextAsync();
                }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
                {
                    return;
                }

                using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
                await received.Writer.WriteAsync((context.Request.HttpMethod, context.Request.Url!.AbsolutePath, await reader.ReadToEndAsync()));
                context.Response.StatusCode = 202;
                context.Response.Close();
            }
        });

        // The first verifier takes connections but never answers, with a forward timeout far beyond the test's HTTP
        // timeout: intake that waited on forwarding would time the test's reports out. Only when the test closes it
        // (resetting the waiting connection) can the forwarder move on, so the order below is fixed, not timed.
        using var silent = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var options = new SettlementOptions
        {
            DataDirectory = _directory,
            Listen = new Uri("http://127.0.0.1:0"),
            Models = SettlementDevnet.Models,
            CloseDelay = TimeSpan.Zero,
            VerifierUrls = [new Uri($"http://127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}/"), new Uri($"http://127.0.0.1:{port}/")],
            ForwardTimeout = TimeSpan.FromMinutes(10),
        };
        await using var service = await SettlementService.StartAsync(await devnet.SettlementChainAsync(), options, NullLoggerFactory.Instance, null, CancellationToken.None);
        var client = new SettlementClient(_http, service.Address);
        var (provider, signer) = await devnet.NewProviderAsync();
        var payer = EthKey.Generate().Address;

        var accepted = await devnet.ReceiptAsync(provider.Address, payer, 0x01, 4, 0, 2, 7);
        var signature = devnet.Sign(accepted, signer);
        await client.ReportReceiptAsync(accepted, signature);
        Assert.True(await client.ReportReceiptAsync(accepted, signature) is { Duplicate: true });
        var unpaid = await devnet.ReceiptAsync(provider.Address, payer, 0x01, 4, 0, 2, 0);
        await Assert.ThrowsAsync<SettlementException>(() => client.ReportReceiptAsync(unpaid, devnet.Sign(unpaid, signer)));
        // Intake answered all three while the forward to the silent verifier is still waiting.
        silent.Stop();

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var (method, path, body) = await received.Reader.ReadAsync(timeout.Token);
        Assert.Equal(("POST", "/v1/receipts"), (method, path));
        Assert.Equal(ReceiptReport.From(accepted, signature), JsonSerializer.Deserialize<ReceiptReport>(body, SettlementJson.Options));

        // Neither the duplicate nor the refused receipt follows.
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.False(received.Reader.TryRead(out _));
        listener.Stop();
        await serving;
    }
}
