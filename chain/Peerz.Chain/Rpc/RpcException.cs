using Peerz.Chain.Abi;
using Peerz.Chain.Primitives;

namespace Peerz.Chain.Rpc;

/// <summary>The node answered with a JSON-RPC error (or not at all); the message quotes what it said.</summary>
public class RpcException(string method, string message, int? code = null, string? data = null, Exception? inner = null)
    : Exception($"{method}: {message}{(code is null ? string.Empty : $" (code {code})")}{(data is null ? string.Empty : $" data {data}")}", inner)
{
    public string Method { get; } = method;

    public int? Code { get; } = code;

    /// <summary>The error's data member as raw JSON, e.g. revert data for a failed eth_call.</summary>
    public string? ErrorData { get; } = data;

    /// <summary>Revert data if the node returned some (hex string in the error's data).</summary>
    public byte[]? RevertData
    {
        get
        {
            var text = ErrorData?.Trim('"');
            return text is not null && text.StartsWith("0x", StringComparison.Ordinal) && text.Length % 2 == 0 && text.Length <= 1 << 20
                && text.AsSpan(2).ContainsAnyExcept("0123456789abcdefABCDEF") == false
                ? Hex.Decode(text)
                : null;
        }
    }

    public RevertReason? DecodeRevert(IEnumerable<AbiError>? customErrors = null) =>
        RevertData is { } data ? RevertReason.Decode(data, customErrors) : null;
}
