using System.Numerics;
using Peerz.Chain.Crypto;

namespace Peerz.Chain.Rpc;

/// <summary>
/// Hands out consecutive nonces per account. The lease stays held until the transaction is accepted by the node
/// (or fails), so concurrent senders in one process never reuse or skip a nonce.
/// </summary>
public sealed class NonceManager(EthRpcClient rpc)
{
    private readonly Dictionary<Address, AccountState> _accounts = [];
    private readonly Lock _gate = new();

    public async Task<NonceLease> AcquireAsync(Address account, CancellationToken cancellationToken = default)
    {
        AccountState state;
        lock (_gate)
        {
            if (!_accounts.TryGetValue(account, out state!))
            {
                state = new AccountState();
                _accounts[account] = state;
            }
        }

        await state.Lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            state.Next ??= await rpc.GetTransactionCountAsync(account, "pending", cancellationToken).ConfigureAwait(false);
            return new NonceLease(state, state.Next.Value);
        }
        catch
        {
            state.Lock.Release();
            throw;
        }
    }

    internal sealed class AccountState
    {
        public SemaphoreSlim Lock { get; } = new(1, 1);

        public BigInteger? Next { get; set; }
    }
}

/// <summary>A reserved nonce: <see cref="Commit"/> after the node accepted the transaction; disposing without commit
/// makes the next lease re-read the count from the node.</summary>
public sealed class NonceLease : IDisposable
{
    private readonly NonceManager.AccountState _state;
    private bool _committed;
    private bool _disposed;

    internal NonceLease(NonceManager.AccountState state, BigInteger nonce)
    {
        _state = state;
        Nonce = nonce;
    }

    public BigInteger Nonce { get; }

    public void Commit() => _committed = true;

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _state.Next = _committed ? Nonce + 1 : null;
        _state.Lock.Release();
    }
}
