namespace Peerz.Settlement.Hosting;

/// <summary>How the settlement host reaches its chain: the executable loads the wallet and the deployment; tests hand in their devnet.</summary>
public interface ISettlementChainConnector
{
    Task<SettlementChain> ConnectAsync(CancellationToken cancellationToken);
}
