using System.Numerics;
using System.Text.Json;
using Peerz.Chain.Crypto;
using Peerz.Chain.Primitives;

namespace Peerz.Chain.Rpc;

/// <summary>A mined transaction's outcome.</summary>
public sealed record TransactionReceipt(
    byte[] TransactionHash,
    BigInteger BlockNumber,
    bool Succeeded,
    BigInteger GasUsed,
    BigInteger EffectiveGasPrice,
    Address? ContractAddress,
    IReadOnlyList<LogEntry> Logs)
{
    internal static TransactionReceipt FromJson(JsonElement json)
    {
        Address? contract = json.TryGetProperty("contractAddress", out var c) && c.ValueKind == JsonValueKind.String
            ? Address.Parse(c.GetString()!)
            : null;
        var logs = json.GetProperty("logs").EnumerateArray().Select(LogEntry.FromJson).ToArray();
        return new TransactionReceipt(
            EthRpcClient.Bytes(json.GetProperty("transactionHash")),
            EthRpcClient.Quantity(json.GetProperty("blockNumber")),
            EthRpcClient.Quantity(json.GetProperty("status")) == 1,
            EthRpcClient.Quantity(json.GetProperty("gasUsed")),
            json.TryGetProperty("effectiveGasPrice", out var price) ? EthRpcClient.Quantity(price) : BigInteger.Zero,
            contract,
            logs);
    }
}

/// <summary>One event log of a receipt (or of eth_getLogs, which also gives the block and transaction).</summary>
public sealed record LogEntry(Address Address, IReadOnlyList<byte[]> Topics, byte[] Data)
{
    /// <summary>The block that holds the log; null for a log of a pending block.</summary>
    public BigInteger? BlockNumber { get; init; }

    public byte[]? TransactionHash { get; init; }

    internal static LogEntry FromJson(JsonElement json) => new(
        Address.Parse(json.GetProperty("address").GetString()!),
        json.GetProperty("topics").EnumerateArray().Select(t => Hex.Decode(t.GetString()!, 32)).ToArray(),
        EthRpcClient.Bytes(json.GetProperty("data")))
    {
        BlockNumber = json.TryGetProperty("blockNumber", out var block) && block.ValueKind == JsonValueKind.String ? EthRpcClient.Quantity(block) : null,
        TransactionHash = json.TryGetProperty("transactionHash", out var hash) && hash.ValueKind == JsonValueKind.String ? EthRpcClient.Bytes(hash) : null,
    };
}
