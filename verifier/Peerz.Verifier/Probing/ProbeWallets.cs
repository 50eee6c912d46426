using Microsoft.Extensions.Logging;
using Peerz.Chain.Contracts;
using Peerz.Chain.Crypto;
using Peerz.Chain.Rpc;
using Peerz.Client.Payments;
using Peerz.Ledger.Payments;

namespace Peerz.Verifier.Probing;

/// <summary>
/// Fresh client identities for probes, so providers cannot tell a probe from a customer by the paying address: each
/// key is generated here, funded from the verifier's wallet (ether for gas and a PRZ transfer), approves and deposits
/// into the escrow itself, and pays like any client (<see cref="ClientPayments"/> with <see cref="EscrowLanes"/>, which
/// reserves a lane per provider from the deposit); after <see cref="ProbeFunding.ProbesPerKey"/> probes the next probe
/// gets a new key. The funding transfer is visible on chain: see docs/verification.md for what that does and does not hide.
/// </summary>
public sealed class ProbeWallets(EthRpcClient rpc, PeerzDeployment deployment, TransactionSender funder, ProbeFunding funding, string directory, TimeProvider time,
    ILoggerFactory loggerFactory)
{
    private readonly SemaphoreSlim _lock = new(1, 1);
    private readonly List<Address> _used = [];
    private ClientPayments? _current;
    private int _uses;

    /// <summary>Every probe address funded so far, oldest first (for the operator and tests).</summary>
    public IReadOnlyList<Address> Used => _used;

    /// <summary>The payments of the current probe key, replaced by a freshly funded one every <see cref="ProbeFunding.ProbesPerKey"/> calls.</summary>
    public async Task<ClientPayments> NextAsync(CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            if (_current is null || _uses >= funding.ProbesPerKey)
            {
                _current = await FundAsync(EthKey.Generate(), cancellationToken);
                _uses = 0;
            }
            _uses++;
            return _current;
        }
        finally
        {
            _lock.Release();
        }
    }

    private async Task<ClientPayments> FundAsync(EthKey key, CancellationToken cancellationToken)
    {
        await funder.SendAndWaitAsync(new TransactionRequest(key.Address, [], funding.Gas), cancellationToken);
        await new PeerzToken(rpc, deployment.Token, funder).TransferAsync(key.Address, funding.Prz, cancellationToken);
        var sender = new TransactionSender(rpc, key);
        await new PeerzToken(rpc, deployment.Token, sender).ApproveAsync(deployment.Escrow, funding.Prz, cancellationToken);
        var escrow = new PaymentEscrow(rpc, deployment.Escrow, sender);
        await escrow.DepositAsync(funding.Prz, cancellationToken);
        Directory.CreateDirectory(directory);
        var ledger = await ClientLedger.OpenAsync(Path.Combine(directory, $"probe-{key.Address}.db"), deployment.Escrow, cancellationToken);
        var options = new ClientPaymentOptions { Client = key, ChainId = deployment.ChainId, Escrow = deployment.Escrow, Registry = deployment.Registry };
        _used.Add(key.Address);
        loggerFactory.CreateLogger<ProbeWallets>().LogInformation("new probe client {Address} funded with {Prz} wei of PRZ", key.Address, funding.Prz);
        return new ClientPayments(options, ledger, new ProviderAccounts(new ProviderRegistry(rpc, deployment.Registry), TimeSpan.FromSeconds(30), time), time,
            loggerFactory.CreateLogger<ClientPayments>(), new EscrowLanes(escrow, key.Address, funding.LaneTopUp, loggerFactory.CreateLogger<EscrowLanes>()));
    }
}
