using System.Net;
using System.Numerics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Peerz.Chain.Crypto;
using Peerz.Chain.Primitives;

namespace Peerz.Chain.Rpc;

/// <summary>Ethereum JSON-RPC over HTTP with per-attempt timeouts and retries for transient failures.</summary>
public sealed class EthRpcClient
{
    private readonly HttpClient _http;
    private readonly Uri _endpoint;
    private readonly EthRpcOptions _options;
    private readonly ILogger _logger;
    private long _nextId;

    public EthRpcClient(HttpClient http, Uri endpoint, EthRpcOptions? options = null, ILogger<EthRpcClient>? logger = null)
    {
        _http = http ?? throw new ArgumentNullException(nameof(http));
        _endpoint = endpoint ?? throw new ArgumentNullException(nameof(endpoint));
        _options = options ?? new EthRpcOptions();
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>Calls <paramref name="method"/> and returns its result (a clone, safe to keep).</summary>
    public async Task<JsonElement> CallAsync(string method, JsonArray parameters, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var body = new JsonObject
        {
            ["jsonrpc"] = "2.0",
            ["id"] = Interlocked.Increment(ref _nextId),
            ["method"] = method,
            ["params"] = parameters,
        }.ToJsonString();

        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await AttemptAsync(method, body, cancellationToken).ConfigureAwait(false);
            }
            catch (TransientRpcException e) when (attempt < _options.MaxRetries)
            {
                _logger.LogWarning("{Method} attempt {Attempt} failed transiently: {Reason}; retrying", method, attempt + 1, e.Message);
                await Task.Delay(_options.RetryDelay * (1 << attempt), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task<JsonElement> AttemptAsync(string method, string body, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.Timeout);
        HttpResponseMessage response;
        try
        {
            using var content = new StringContent(body, Encoding.UTF8, "application/json");
            response = await _http.PostAsync(_endpoint, content, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TransientRpcException(method, $"no answer from {_endpoint} within {_options.Timeout.TotalSeconds:0.#} s", e);
        }
        catch (HttpRequestException e)
        {
            throw new TransientRpcException(method, $"cannot reach {_endpoint}: {e.Message}", e);
        }

        using (response)
        {
            var text = await ReadBoundedAsync(method, response, timeout.Token, cancellationToken).ConfigureAwait(false);
            if (response.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.BadGateway
                or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout)
            {
                throw new TransientRpcException(method, $"HTTP {(int)response.StatusCode}: {Quote(text)}");
            }

            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(text);
            }
            catch (JsonException)
            {
                throw new RpcException(method, $"HTTP {(int)response.StatusCode} with a non-JSON answer: {Quote(text)}");
            }

            using (document)
            {
                var root = document.RootElement;
                if (root.ValueKind != JsonValueKind.Object)
                {
                    throw new RpcException(method, $"answer is not a JSON-RPC object: {Quote(text)}");
                }

                if (root.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object)
                {
                    var message = error.TryGetProperty("message", out var m) ? m.ToString() : Quote(error.GetRawText());
                    int? code = error.TryGetProperty("code", out var c) && c.TryGetInt32(out var ci) ? ci : null;
                    var data = error.TryGetProperty("data", out var d) ? d.GetRawText() : null;
                    throw new RpcException(method, $"node answered: {message}", code, data);
                }

                if (!root.TryGetProperty("result", out var result))
                {
                    throw new RpcException(method, $"answer has neither result nor error: {Quote(text)}");
                }

                return result.Clone();
            }
        }
    }

    private async Task<string> ReadBoundedAsync(string method, HttpResponseMessage response, CancellationToken timeoutToken, CancellationToken callerToken)
    {
        if (response.Content.Headers.ContentLength > _options.MaxResponseBytes)
        {
            throw new RpcException(method, $"answer of {response.Content.Headers.ContentLength} bytes exceeds the {_options.MaxResponseBytes}-byte limit");
        }

        try
        {
            await using var stream = await response.Content.ReadAsStreamAsync(timeoutToken).ConfigureAwait(false);
            using var buffer = new MemoryStream();
            var chunk = new byte[81920];
            int read;
            while ((read = await stream.ReadAsync(chunk, timeoutToken).ConfigureAwait(false)) > 0)
            {
                if (buffer.Length + read > _options.MaxResponseBytes)
                {
                    throw new RpcException(method, $"answer exceeds the {_options.MaxResponseBytes}-byte limit");
                }

                buffer.Write(chunk, 0, read);
            }

            return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
        }
        catch (OperationCanceledException e) when (!callerToken.IsCancellationRequested)
        {
            throw new TransientRpcException(method, $"answer from {_endpoint} not complete within {_options.Timeout.TotalSeconds:0.#} s", e);
        }
    }

    private static string Quote(string text) => text.Length <= 500 ? text : text[..500] + "…";

    public async Task<BigInteger> ChainIdAsync(CancellationToken cancellationToken = default) =>
        Quantity(await CallAsync("eth_chainId", [], cancellationToken).ConfigureAwait(false));

    public async Task<BigInteger> BlockNumberAsync(CancellationToken cancellationToken = default) =>
        Quantity(await CallAsync("eth_blockNumber", [], cancellationToken).ConfigureAwait(false));

    public async Task<BigInteger> GetBalanceAsync(Address address, string block = "latest", CancellationToken cancellationToken = default) =>
        Quantity(await CallAsync("eth_getBalance", [address.ToString(), block], cancellationToken).ConfigureAwait(false));

    public async Task<BigInteger> GetTransactionCountAsync(Address address, string block = "pending", CancellationToken cancellationToken = default) =>
        Quantity(await CallAsync("eth_getTransactionCount", [address.ToString(), block], cancellationToken).ConfigureAwait(false));

    public async Task<BigInteger> GasPriceAsync(CancellationToken cancellationToken = default) =>
        Quantity(await CallAsync("eth_gasPrice", [], cancellationToken).ConfigureAwait(false));

    public async Task<BigInteger> MaxPriorityFeePerGasAsync(CancellationToken cancellationToken = default) =>
        Quantity(await CallAsync("eth_maxPriorityFeePerGas", [], cancellationToken).ConfigureAwait(false));

    /// <summary>Base fee of the latest block (null before London).</summary>
    public async Task<BigInteger?> LatestBaseFeeAsync(CancellationToken cancellationToken = default)
    {
        var block = await CallAsync("eth_getBlockByNumber", ["latest", false], cancellationToken).ConfigureAwait(false);
        return block.ValueKind == JsonValueKind.Object && block.TryGetProperty("baseFeePerGas", out var fee) ? Quantity(fee) : null;
    }

    public async Task<BigInteger> EstimateGasAsync(CallRequest call, CancellationToken cancellationToken = default) =>
        Quantity(await CallAsync("eth_estimateGas", [call.ToJson()], cancellationToken).ConfigureAwait(false));

    /// <summary>eth_call; a revert surfaces as <see cref="RpcException"/> whose <see cref="RpcException.RevertData"/> holds the data.</summary>
    public async Task<byte[]> EthCallAsync(CallRequest call, string block = "latest", CancellationToken cancellationToken = default) =>
        Bytes(await CallAsync("eth_call", [call.ToJson(), block], cancellationToken).ConfigureAwait(false));

    public async Task<byte[]> SendRawTransactionAsync(byte[] raw, CancellationToken cancellationToken = default) =>
        Bytes(await CallAsync("eth_sendRawTransaction", [Hex.Encode(raw)], cancellationToken).ConfigureAwait(false));

    /// <summary>The receipt, or null while the transaction is pending.</summary>
    public async Task<TransactionReceipt?> GetTransactionReceiptAsync(byte[] hash, CancellationToken cancellationToken = default)
    {
        var result = await CallAsync("eth_getTransactionReceipt", [Hex.Encode(hash)], cancellationToken).ConfigureAwait(false);
        return result.ValueKind == JsonValueKind.Null ? null : TransactionReceipt.FromJson(result);
    }

    /// <summary>eth_getLogs of one contract whose first topic is <paramref name="topic0"/>, blocks <paramref name="fromBlock"/> to latest.</summary>
    public Task<IReadOnlyList<LogEntry>> GetLogsAsync(Address address, byte[] topic0, BigInteger fromBlock, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(topic0);
        return QueryLogsAsync(address, JsonValue.Create(Hex.Encode(topic0)), Hex.EncodeQuantity(fromBlock), "latest", cancellationToken);
    }

    /// <summary>
    /// eth_getLogs of one contract whose first topic is any of <paramref name="topic0s"/>, blocks <paramref name="fromBlock"/>
    /// to <paramref name="toBlock"/> inclusive (nodes bound the range they answer; keep it short).
    /// </summary>
    public Task<IReadOnlyList<LogEntry>> GetLogsAsync(Address address, IReadOnlyList<byte[]> topic0s, BigInteger fromBlock, BigInteger toBlock, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(topic0s);
        if (toBlock < fromBlock) throw new ArgumentOutOfRangeException(nameof(toBlock), $"block range {fromBlock}..{toBlock} is empty");
        return QueryLogsAsync(address, new JsonArray([.. topic0s.Select(t => (JsonNode?)Hex.Encode(t))]), Hex.EncodeQuantity(fromBlock), Hex.EncodeQuantity(toBlock), cancellationToken);
    }

    /// <param name="topic0">The first topic: one value, or an array of alternatives.</param>
    private async Task<IReadOnlyList<LogEntry>> QueryLogsAsync(Address address, JsonNode topic0, string fromBlock, string toBlock, CancellationToken cancellationToken)
    {
        var filter = new JsonObject
        {
            ["address"] = address.ToString(),
            ["fromBlock"] = fromBlock,
            ["toBlock"] = toBlock,
            ["topics"] = new JsonArray(topic0),
        };
        var result = await CallAsync("eth_getLogs", [filter], cancellationToken).ConfigureAwait(false);
        return result.ValueKind == JsonValueKind.Array
            ? result.EnumerateArray().Select(LogEntry.FromJson).ToArray()
            : throw new FormatException($"eth_getLogs answered {result.ValueKind}, not an array.");
    }

    /// <summary>Timestamp (unix seconds) of block <paramref name="number"/>, or of the latest block when null.</summary>
    public async Task<ulong> BlockTimestampAsync(BigInteger? number = null, CancellationToken cancellationToken = default)
    {
        var tag = number is { } n ? Hex.EncodeQuantity(n) : "latest";
        var block = await CallAsync("eth_getBlockByNumber", [tag, false], cancellationToken).ConfigureAwait(false);
        return block.ValueKind == JsonValueKind.Object && block.TryGetProperty("timestamp", out var time)
            ? (ulong)Quantity(time)
            : throw new FormatException($"block {tag} is unknown to the node.");
    }

    internal static BigInteger Quantity(JsonElement element) =>
        element.ValueKind == JsonValueKind.String
            ? Hex.DecodeQuantity(element.GetString()!)
            : throw new FormatException($"Expected a hex quantity, got {element.GetRawText()}.");

    internal static byte[] Bytes(JsonElement element) =>
        element.ValueKind == JsonValueKind.String
            ? Hex.Decode(element.GetString()!)
            : throw new FormatException($"Expected hex data, got {element.GetRawText()}.");

    private sealed class TransientRpcException(string method, string message, Exception? inner = null)
        : RpcException(method, message, inner: inner);
}
