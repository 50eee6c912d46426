using System.Numerics;

namespace Peerz.Chain.Rpc;

/// <summary>EIP-1559 fees: the node's tip suggestion, and a cap of twice the latest base fee plus the tip,
/// which survives six consecutive full blocks (each raises the base fee by at most 12.5 %).</summary>
public sealed record FeeSuggestion(BigInteger MaxPriorityFeePerGas, BigInteger MaxFeePerGas)
{
    public static async Task<FeeSuggestion> FromNodeAsync(EthRpcClient rpc, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rpc);
        var baseFee = await rpc.LatestBaseFeeAsync(cancellationToken).ConfigureAwait(false)
            ?? throw new RpcException("eth_getBlockByNumber", "the latest block has no base fee (pre-London chain); use legacy transactions");
        var tip = await rpc.MaxPriorityFeePerGasAsync(cancellationToken).ConfigureAwait(false);
        return new FeeSuggestion(tip, 2 * baseFee + tip);
    }
}
