using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Peerz.Chain.Contracts;
using Peerz.Chain.Crypto;
using Peerz.Chain.Rpc;
using Peerz.Client.Payments;
using Peerz.Testing.Logging;

namespace Peerz.Client.Tests;

/// <summary>
/// <see cref="JailWatch"/> against bad answers from the chain's RPC (a real JSON-RPC endpoint on 127.0.0.1 that answers
/// as scripted): undecodable logs and malformed replies are logged as warnings and retried from the same block, never
/// skipped and never a crash, and the watch goes on once the node answers well. (Following real jailings on Hardhat's
/// node: tests/Peerz.Integration.Tests/Payments/JailWatchTests.)
/// </summary>
public sealed class JailWatchTests
{
    private static readonly Address Registry = Address.Parse("0x5FbDB2315678afecb367f032d93F642f64180aa3");

    [Fact]
    public async Task Bad_rpc_answers_are_warnings_retried_from_the_same_block_and_the_watch_recovers()
    {
        // Block 0x10 throughout; eth_getLogs answers: not an array, then a log of another event, then none.
        string[] logAnswers = ["\"oops\"", $"[{{\"address\":\"{Registry}\",\"topics\":[\"0x{new string('1', 64)}\",\"0x{new string('0', 64)}\"],\"data\":\"0x\",\"blockNumber\":\"0x10\"}}]", "[]"];
        var asked = new List<string>();
        await using var rpc = await ScriptedRpc.StartAsync(request =>
        {
            var method = (string)request["method"]!;
            lock (asked) asked.Add(method);
            if (method == "eth_blockNumber") return "\"0x10\"";
            lock (asked) return logAnswers[Math.Min(asked.Count(m => m == "eth_getLogs"), logAnswers.Length) - 1];
        });
        using var http = new HttpClient();
        var registry = new ProviderRegistry(new EthRpcClient(http, rpc.Endpoint), Registry);
        using var logs = new RecordedLogs();
        var accounts = new ProviderAccounts(registry, TimeSpan.FromMinutes(1), TimeProvider.System);
        using var watch = new JailWatch(registry, accounts, new JailWatchOptions { PollInterval = TimeSpan.FromMilliseconds(20), MaxBackoff = TimeSpan.FromMilliseconds(100) },
            TimeProvider.System, logs.CreateLogger<JailWatch>());
        var advanced = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        watch.Advanced += block => advanced.TrySetResult(block);

        await watch.StartAsync(CancellationToken.None);
        var block = await advanced.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await watch.StopAsync(CancellationToken.None);

        // Block 16 was read three times: the two bad answers left it unread, the good one applied it.
        Assert.Equal(16, block);
        lock (asked) Assert.Equal(3, asked.Count(m => m == "eth_getLogs"));
        var warnings = logs.Lines.Where(l => l.StartsWith("Warning", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, warnings.Count);
        Assert.Contains("eth_getLogs answered String, not an array", warnings[0]);
        Assert.Contains($"a log of another event (0x{new string('1', 64)})", warnings[1]);
    }

    /// <summary>A JSON-RPC endpoint on 127.0.0.1 answering each request's id with the scripted result (raw JSON).</summary>
    private sealed class ScriptedRpc : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        private Task _serving = Task.CompletedTask;

        public Uri Endpoint => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");

        public static Task<ScriptedRpc> StartAsync(Func<JsonNode, string> answer)
        {
            var rpc = new ScriptedRpc();
            rpc._listener.Start();
            rpc._serving = Task.Run(() => rpc.ServeAsync(answer));
            return Task.FromResult(rpc);
        }

        private async Task ServeAsync(Func<JsonNode, string> answer)
        {
            while (!_stop.IsCancellationRequested)
            {
                using var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                using var stream = client.GetStream();
                var request = await ReadRequestAsync(stream);
                var body = $"{{\"jsonrpc\":\"2.0\",\"id\":{request["id"]!.ToJsonString()},\"result\":{answer(request)}}}";
                var bytes = Encoding.UTF8.GetBytes(body);
                await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {bytes.Length}\r\nConnection: close\r\n\r\n"));
                await stream.WriteAsync(bytes);
            }
        }

        /// <summary>One HTTP request's JSON body (headers up to the blank line, then Content-Length bytes; bounded).</summary>
        private static async Task<JsonNode> ReadRequestAsync(NetworkStream stream)
        {
            var buffer = new List<byte>();
            var one = new byte[1];
            while (buffer.Count < 16_384 && !(buffer.Count >= 4 && buffer[^4] == '\r' && buffer[^3] == '\n' && buffer[^2] == '\r' && buffer[^1] == '\n'))
            {
                if (await stream.ReadAsync(one) == 0) throw new IOException("the request ended before its headers did");
                buffer.Add(one[0]);
            }
            var headers = Encoding.ASCII.GetString([.. buffer]);
            var length = int.Parse(headers.Split("\r\n").Single(h => h.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))["Content-Length:".Length..].Trim(),
                System.Globalization.CultureInfo.InvariantCulture);
            var body = new byte[Math.Min(length, 65_536)];
            await stream.ReadExactlyAsync(body);
            return JsonNode.Parse(body)!;
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            try
            {
                await _serving;
            }
            catch (OperationCanceledException)
            {
            }
            catch (SocketException)
            {
            }
            _stop.Dispose();
        }
    }
}
