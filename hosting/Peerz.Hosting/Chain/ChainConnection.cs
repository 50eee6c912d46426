using Peerz.Chain.Contracts;
using Peerz.Chain.Crypto;
using Peerz.Chain.Rpc;

namespace Peerz.Hosting.Chain;

/// <summary>
/// One RPC client and one transaction sender (one nonce sequence) for an account, with bindings for the Peerz
/// contracts. Checks on connect that the node's chain id matches the deployment, so vouchers and receipts are
/// never signed for the wrong chain.
/// </summary>
public sealed class ChainConnection : IDisposable
{
    private readonly HttpClient _http;

    private ChainConnection(HttpClient http, EthRpcClient rpc, PeerzDeployment deployment, EthKey? account)
    {
        _http = http;
        Rpc = rpc;
        Deployment = deployment;
        Account = account;
        var sender = account is null ? null : new TransactionSender(rpc, account);
        Token = new PeerzToken(rpc, deployment.Token, sender);
        Registry = new ProviderRegistry(rpc, deployment.Registry, sender);
        Escrow = new PaymentEscrow(rpc, deployment.Escrow, sender);
        Rewards = new EpochRewards(rpc, deployment.Rewards, sender);
        Governor = new PeerzGovernor(rpc, deployment.Governor, sender);
    }

    public EthRpcClient Rpc { get; }

    public PeerzDeployment Deployment { get; }

    /// <summary>The key that signs transactions, or null for a read-only connection.</summary>
    public EthKey? Account { get; }

    public PeerzToken Token { get; }

    public ProviderRegistry Registry { get; }

    public PaymentEscrow Escrow { get; }

    public EpochRewards Rewards { get; }

    public PeerzGovernor Governor { get; }

    public static async Task<ChainConnection> ConnectAsync(ChainSettings settings, EthKey? account, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var http = new HttpClient();
        var rpc = new EthRpcClient(http, settings.RpcUrl);
        try
        {
            var chainId = await rpc.ChainIdAsync(cancellationToken).ConfigureAwait(false);
            if (chainId != settings.Deployment.ChainId)
                throw new UserErrorException($"the node at {settings.RpcUrl} is chain {chainId}, but the deployment file is for chain {settings.Deployment.ChainId}");
            return new ChainConnection(http, rpc, settings.Deployment, account);
        }
        catch (Exception e) when (e is RpcException or HttpRequestException)
        {
            http.Dispose();
            throw new UserErrorException($"cannot reach the chain at {settings.RpcUrl}: {e.Message}");
        }
        catch
        {
            http.Dispose();
            throw;
        }
    }

    public void Dispose() => _http.Dispose();
}
