using Peerz.Chain.Abi;

namespace Peerz.Chain.Rpc;

/// <summary>A call or transaction reverted; <see cref="Reason"/> is the decoded revert.</summary>
public sealed class ContractRevertException(RevertReason reason, Exception? inner = null, TransactionReceipt? receipt = null)
    : Exception($"Reverted: {reason.Message}", inner)
{
    public RevertReason Reason { get; } = reason;

    public TransactionReceipt? Receipt { get; } = receipt;
}
