using System.Numerics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Peerz.Client.Payments;
using Peerz.Hosting.Chain;
using Peerz.Hosting.Wallets;
using Peerz.Ledger.Payments;

namespace Peerz.Cli.Commands;

/// <summary>The paying side of the CLI: the wallet's keystore, the chain, the client ledger, and how much of the deposit a provider's lane is topped up by.</summary>
public sealed record ClientWallet(ChainSettings Chain, string Keystore, string? PasswordFile, string LedgerPath, BigInteger LaneAmount, IReadOnlyList<Uri> ReportTo)
{
    /// <summary>
    /// Unlocks the key, connects to the chain, opens the ledger and starts following the registry's jailings (so a jailed
    /// provider is not paid past the next poll); dispose the result to stop and close them.
    /// </summary>
    public async Task<OpenedWallet> OpenAsync(ILoggerFactory logging, CancellationToken cancellationToken)
    {
        var key = WalletLoader.ForConsole().Load(Keystore, PasswordFile);
        var connection = await ChainConnection.ConnectAsync(Chain, key, cancellationToken);
        try
        {
            var ledger = await ClientLedger.OpenAsync(LedgerPath, connection.Deployment.Escrow, cancellationToken);
            var options = new ClientPaymentOptions { Client = key, ChainId = connection.Deployment.ChainId, Escrow = connection.Deployment.Escrow, Registry = connection.Deployment.Registry };
            var accounts = new ProviderAccounts(connection.Registry, TimeSpan.FromSeconds(30), TimeProvider.System);
            var watch = new JailWatch(connection.Registry, accounts, new JailWatchOptions(), TimeProvider.System, logging.CreateLogger<JailWatch>());
            var lanes = new EscrowLanes(connection.Escrow, key.Address, LaneAmount, NullLogger<EscrowLanes>.Instance);
            var payments = new ClientPayments(options, ledger, accounts, TimeProvider.System, NullLogger<ClientPayments>.Instance, lanes);
            var reporter = ReportTo.Count == 0 ? null : new ReceiptReporter(new HttpClient(), ReportTo, NullLogger<ReceiptReporter>.Instance);
            if (reporter is not null) payments.Paid += reporter.Report;
            await watch.StartAsync(cancellationToken);
            return new OpenedWallet(connection, payments, reporter, watch);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }
}

/// <summary>An unlocked wallet: its chain connection, the payments it makes, where its receipts are reported, and its watch on jailings.</summary>
public sealed record OpenedWallet(ChainConnection Connection, ClientPayments Payments, ReceiptReporter? Reporter, JailWatch Watch) : IAsyncDisposable
{
    public async ValueTask DisposeAsync()
    {
        await Watch.StopAsync(CancellationToken.None);
        Watch.Dispose();
        if (Reporter is not null) await Reporter.DisposeAsync();
        Connection.Dispose();
    }
}
