using System.Numerics;
using Peerz.Chain.Abi;
using Peerz.Chain.Crypto;
using Peerz.Chain.Rpc;

namespace Peerz.Chain.Contracts;

/// <summary>
/// Base of the typed contract bindings: read-only calls through eth_call, state changes through a
/// <see cref="TransactionSender"/>, reverts decoded with the contract's custom errors.
/// </summary>
public abstract class ContractBinding(EthRpcClient rpc, Address address, TransactionSender? sender)
{
    public Address Address { get; } = address;

    protected EthRpcClient Rpc { get; } = rpc ?? throw new ArgumentNullException(nameof(rpc));

    /// <summary>The custom errors this contract can revert with.</summary>
    public abstract IReadOnlyList<AbiError> Errors { get; }

    protected async Task<object?[]> CallAsync(AbiFunction function, object?[] arguments, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(function);
        try
        {
            var data = await Rpc.EthCallAsync(new CallRequest(Address, function.EncodeCall(arguments), sender?.Address), cancellationToken: cancellationToken).ConfigureAwait(false);
            return function.DecodeOutput(data);
        }
        catch (RpcException e) when (e.DecodeRevert(Errors) is { } reason)
        {
            throw new ContractRevertException(reason, e);
        }
    }

    protected async Task<T> CallSingleAsync<T>(AbiFunction function, object?[] arguments, CancellationToken cancellationToken) =>
        (T)(await CallAsync(function, arguments, cancellationToken).ConfigureAwait(false))[0]!;

    protected Task<TransactionReceipt> SendAsync(AbiFunction function, object?[] arguments, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(function);
        return (sender ?? throw new InvalidOperationException($"{GetType().Name} was created without a TransactionSender; it can only read."))
            .SendAndWaitAsync(new TransactionRequest(Address, function.EncodeCall(arguments), Errors: Errors), cancellationToken);
    }

    /// <summary>Decodes the logs of <paramref name="abiEvent"/> emitted by this contract in a receipt.</summary>
    public IEnumerable<IReadOnlyDictionary<string, object?>> Events(TransactionReceipt receipt, AbiEvent abiEvent)
    {
        ArgumentNullException.ThrowIfNull(receipt);
        ArgumentNullException.ThrowIfNull(abiEvent);
        return receipt.Logs
            .Where(l => l.Address == Address && l.Topics.Count > 0 && l.Topics[0].AsSpan().SequenceEqual(abiEvent.Topic))
            .Select(l => abiEvent.DecodeLog(l.Topics, l.Data));
    }

    protected static BigInteger Big(object? value) => (BigInteger)value!;
}
