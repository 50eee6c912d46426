using Peerz.Chain.Rpc;
using Peerz.Hosting.Chain;
using Peerz.Hosting.Wallets;
using Peerz.Settlement;
using Peerz.Settlement.Hosting;

namespace Peerz.Settle;

/// <summary>Reaches the chain as the operator's account: loads the keystore (asking for its password when needed), then connects.</summary>
public sealed class WalletChainConnector(ChainSettings chain, string keystore, string? passwordFile) : ISettlementChainConnector, IDisposable
{
    private ChainConnection? _connection;

    public async Task<SettlementChain> ConnectAsync(CancellationToken cancellationToken)
    {
        var key = WalletLoader.ForConsole().Load(keystore, passwordFile);
        _connection = await ChainConnection.ConnectAsync(chain, key, cancellationToken);
        return await SettlementChain.ConnectAsync(_connection.Rpc, _connection.Deployment, new TransactionSender(_connection.Rpc, key), cancellationToken);
    }

    public void Dispose() => _connection?.Dispose();
}
