using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Peerz.Chain.Rpc;

namespace Peerz.Chain.Tests.Rpc;

/// <summary>The RPC client against misbehaving HTTP servers on loopback TCP.</summary>
public sealed class EthRpcClientFaultTests
{
    [Fact]
    public async Task Transient_http_errors_are_retried_until_the_node_answers()
    {
        await using var server = new ScriptedServer(
            Http(503, "busy"),
            Http(502, "bad gateway"),
            Http(200, """{"jsonrpc":"2.0","id":1,"result":"0x7a69"}"""));
        using var http = new HttpClient();
        var rpc = new EthRpcClient(http, server.Endpoint, new EthRpcOptions { MaxRetries = 3, RetryDelay = TimeSpan.FromMilliseconds(10) });
        Assert.Equal(31337, (int)await rpc.ChainIdAsync());
        Assert.Equal(3, server.Requests);
    }

    [Fact]
    public async Task A_silent_node_times_out_after_the_configured_attempts()
    {
        await using var server = new ScriptedServer(null, null);
        using var http = new HttpClient();
        var rpc = new EthRpcClient(http, server.Endpoint, new EthRpcOptions { Timeout = TimeSpan.FromMilliseconds(300), MaxRetries = 1, RetryDelay = TimeSpan.FromMilliseconds(10) });
        var clock = Stopwatch.StartNew();
        var error = await Assert.ThrowsAnyAsync<RpcException>(() => rpc.ChainIdAsync());
        Assert.Contains("no answer", error.Message, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Non_json_and_malformed_answers_quote_what_came_back()
    {
        await using var server = new ScriptedServer(Http(500, "<html>proxy exploded</html>"), Http(200, """{"jsonrpc":"2.0","id":1}"""));
        using var http = new HttpClient();
        var rpc = new EthRpcClient(http, server.Endpoint, new EthRpcOptions { MaxRetries = 0 });
        var first = await Assert.ThrowsAsync<RpcException>(() => rpc.ChainIdAsync());
        Assert.Contains("proxy exploded", first.Message, StringComparison.Ordinal);
        var second = await Assert.ThrowsAsync<RpcException>(() => rpc.ChainIdAsync());
        Assert.Contains("neither result nor error", second.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Oversized_answers_are_refused()
    {
        await using var server = new ScriptedServer(Http(200, "{\"result\":\"" + new string('a', 100_000) + "\"}"));
        using var http = new HttpClient();
        var rpc = new EthRpcClient(http, server.Endpoint, new EthRpcOptions { MaxRetries = 0, MaxResponseBytes = 10_000 });
        var error = await Assert.ThrowsAsync<RpcException>(() => rpc.ChainIdAsync());
        Assert.Contains("limit", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unreachable_node_is_reported_with_its_address()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        using var http = new HttpClient();
        var rpc = new EthRpcClient(http, new Uri($"http://127.0.0.1:{port}/"), new EthRpcOptions { MaxRetries = 1, RetryDelay = TimeSpan.FromMilliseconds(10) });
        var error = await Assert.ThrowsAnyAsync<RpcException>(() => rpc.ChainIdAsync());
        Assert.Contains($"127.0.0.1:{port}", error.Message, StringComparison.Ordinal);
    }

    private static string Http(int status, string body) =>
        $"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {Encoding.UTF8.GetByteCount(body)}\r\nConnection: close\r\n\r\n{body}";

    /// <summary>Answers the n-th connection with the n-th scripted response; null means accept and stay silent.</summary>
    private sealed class ScriptedServer : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;
        private int _requests;

        public ScriptedServer(params string?[] responses)
        {
            _listener.Start();
            Endpoint = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");
            _loop = ServeAsync(responses);
        }

        public Uri Endpoint { get; }

        public int Requests => Volatile.Read(ref _requests);

        private async Task ServeAsync(string?[] responses)
        {
            var held = new List<TcpClient>();
            try
            {
                foreach (var response in responses)
                {
                    var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                    held.Add(client);
                    var stream = client.GetStream();
                    var buffer = new byte[65536];
                    var request = new StringBuilder();
                    while (!request.ToString().Contains("\r\n\r\n", StringComparison.Ordinal) || !BodyComplete(request.ToString()))
                    {
                        var read = await stream.ReadAsync(buffer, _stop.Token);
                        if (read == 0)
                        {
                            break;
                        }

                        request.Append(Encoding.UTF8.GetString(buffer, 0, read));
                    }

                    Interlocked.Increment(ref _requests);
                    if (response is not null)
                    {
                        await stream.WriteAsync(Encoding.UTF8.GetBytes(response), _stop.Token);
                        client.Client.Shutdown(SocketShutdown.Send);
                    }
                }

                await Task.Delay(Timeout.Infinite, _stop.Token);
            }
            catch (OperationCanceledException)
            {
            }
            finally
            {
                held.ForEach(c => c.Dispose());
            }
        }

        private static bool BodyComplete(string request)
        {
            var split = request.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            var header = request[..split];
            var lengthLine = header.Split("\r\n").FirstOrDefault(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
            return lengthLine is null || request.Length - split - 4 >= int.Parse(lengthLine["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            await _loop;
            _stop.Dispose();
        }
    }
}
