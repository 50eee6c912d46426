using System.Numerics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Peerz.Chain.Abi;
using Peerz.Chain.Crypto;
using Peerz.Chain.Primitives;
using Peerz.Chain.Transactions;

namespace Peerz.Chain.Rpc;

/// <summary>
/// Signs and sends EIP-1559 transactions for one key: nonce from a shared <see cref="NonceManager"/>, gas from
/// eth_estimateGas plus a margin, fees from <see cref="FeeSuggestion"/>; waits for receipts and reports reverts
/// with their decoded reason.
/// </summary>
public sealed class TransactionSender
{
    private readonly EthRpcClient _rpc;
    private readonly EthKey _key;
    private readonly NonceManager _nonces;
    private readonly ILogger _logger;
    private BigInteger? _chainId;

    public TransactionSender(EthRpcClient rpc, EthKey key, NonceManager? nonces = null, ILogger<TransactionSender>? logger = null)
    {
        _rpc = rpc ?? throw new ArgumentNullException(nameof(rpc));
        _key = key ?? throw new ArgumentNullException(nameof(key));
        _nonces = nonces ?? new NonceManager(rpc);
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    public Address Address => _key.Address;

    /// <summary>Gas estimate multiplier, in percent (estimates can be tight when state changes between estimate and mining).</summary>
    public int GasMarginPercent { get; init; } = 20;

    public TimeSpan ReceiptPollInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    public TimeSpan ReceiptTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Sends and returns the transaction hash once the node accepted it.</summary>
    public async Task<byte[]> SendAsync(TransactionRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (to, data, value, gasLimit, errors) = request;
        _chainId ??= await _rpc.ChainIdAsync(cancellationToken).ConfigureAwait(false);
        BigInteger gas;
        if (gasLimit is { } fixedGas)
        {
            gas = fixedGas;
        }
        else
        {
            try
            {
                var estimate = await _rpc.EstimateGasAsync(new CallRequest(to, data, _key.Address, value), cancellationToken).ConfigureAwait(false);
                gas = estimate * (100 + GasMarginPercent) / 100;
            }
            catch (RpcException e) when (e.DecodeRevert(errors) is { } reason)
            {
                throw new ContractRevertException(reason, e);
            }
        }

        var fees = await FeeSuggestion.FromNodeAsync(_rpc, cancellationToken).ConfigureAwait(false);
        using var lease = await _nonces.AcquireAsync(_key.Address, cancellationToken).ConfigureAwait(false);
        var transaction = new Eip1559Transaction(_chainId.Value, lease.Nonce, fees.MaxPriorityFeePerGas, fees.MaxFeePerGas, gas, to, value ?? 0, data);
        var signed = SignedTransaction.Sign(transaction, _key);
        await _rpc.SendRawTransactionAsync(signed.Raw, cancellationToken).ConfigureAwait(false);
        lease.Commit();
        _logger.LogDebug("Sent {Hash} from {From} nonce {Nonce}", signed.HashHex, _key.Address, lease.Nonce);
        return signed.Hash;
    }

    /// <summary>Sends, waits for the receipt, and throws <see cref="ContractRevertException"/> if it reverted.</summary>
    public async Task<TransactionReceipt> SendAndWaitAsync(TransactionRequest request, CancellationToken cancellationToken = default)
    {
        var hash = await SendAsync(request, cancellationToken).ConfigureAwait(false);
        var (to, data, value, _, errors) = request;
        var receipt = await WaitForReceiptAsync(hash, cancellationToken).ConfigureAwait(false);
        if (!receipt.Succeeded)
        {
            // Replaying the call at the mined block recovers the revert data the receipt does not carry.
            RevertReason reason = new(RevertKind.Unknown, "transaction reverted");
            try
            {
                await _rpc.EthCallAsync(new CallRequest(to, data, _key.Address, value), Hex.EncodeQuantity(receipt.BlockNumber), cancellationToken).ConfigureAwait(false);
            }
            catch (RpcException e) when (e.DecodeRevert(errors) is { } decoded)
            {
                reason = decoded;
            }

            throw new ContractRevertException(reason, null, receipt);
        }

        return receipt;
    }

    public async Task<TransactionReceipt> WaitForReceiptAsync(byte[] hash, CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ReceiptTimeout);
        try
        {
            while (true)
            {
                if (await _rpc.GetTransactionReceiptAsync(hash, timeout.Token).ConfigureAwait(false) is { } receipt)
                {
                    return receipt;
                }

                await Task.Delay(ReceiptPollInterval, timeout.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"No receipt for {Hex.Encode(hash)} within {ReceiptTimeout}.");
        }
    }
}
