using Microsoft.Extensions.Logging;
using Peerz.Chain.Crypto;
using Peerz.Hosting.Chain;
using Peerz.Hosting.Wallets;
using Peerz.Ledger.Payments;

namespace Peerz.Provider;

/// <summary>The provider's account opened for payments: its key, a chain connection that signs with it, its ledger and redeemer.</summary>
public sealed class ProviderAccountSession : IDisposable
{
    private ProviderAccountSession(EthKey key, ChainConnection chain, ProviderLedger ledger, VoucherRedeemer redeemer)
    {
        Key = key;
        Chain = chain;
        Ledger = ledger;
        Redeemer = redeemer;
    }

    public EthKey Key { get; }

    public ChainConnection Chain { get; }

    public ProviderLedger Ledger { get; }

    public VoucherRedeemer Redeemer { get; }

    public static async Task<ProviderAccountSession> OpenAsync(PaymentSettings settings, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        var key = WalletLoader.ForConsole().Load(settings.Keystore, settings.PasswordFile);
        var chain = await ChainConnection.ConnectAsync(settings.Chain, key, cancellationToken);
        try
        {
            var ledger = await ProviderLedger.OpenAsync(settings.LedgerPath, chain.Deployment.Escrow, cancellationToken);
            var redeemer = new VoucherRedeemer(ledger, chain.Escrow, key.Address, loggerFactory.CreateLogger<VoucherRedeemer>());
            return new ProviderAccountSession(key, chain, ledger, redeemer);
        }
        catch
        {
            chain.Dispose();
            throw;
        }
    }

    public void Dispose() => Chain.Dispose();
}
