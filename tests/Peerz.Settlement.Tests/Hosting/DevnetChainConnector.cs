using Peerz.Settlement.Hosting;
using Peerz.Settlement.Tests.Support;

namespace Peerz.Settlement.Tests.Hosting;

/// <summary>The settlement host's chain in these tests: the devnet as its deployer; counts the connections asked for.</summary>
public sealed class DevnetChainConnector(SettlementDevnet devnet) : ISettlementChainConnector
{
    private int _connections;

    public int Connections => _connections;

    public Task<SettlementChain> ConnectAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _connections);
        return devnet.SettlementChainAsync();
    }
}
