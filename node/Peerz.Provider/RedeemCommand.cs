using System.CommandLine;
using Microsoft.Extensions.Logging;
using Peerz.Hosting;
using Peerz.Hosting.Chain;

namespace Peerz.Provider;

/// <summary>`peerz-provider redeem`: redeems every voucher the ledger holds, then exits.</summary>
public static class RedeemCommand
{
    public static Command Create(Option<string?> config)
    {
        var account = AccountOptions.Create();
        var command = new Command("redeem", "Redeem the latest voucher of every client on chain now (safe to repeat: nothing is paid twice)");
        account.AddTo(command);
        command.SetAction(async (result, cancellationToken) =>
        {
            var s = LayeredSettings.Load(result.GetValue(config));
            var chain = account.Chain(s, result) ?? throw new UserErrorException("redeem needs --rpc-url and --deployment");
            using var loggerFactory = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Information));
            using var session = await ProviderAccountSession.OpenAsync(new PaymentSettings
            {
                Chain = chain,
                Keystore = s.Get(result, account.Keystore),
                PasswordFile = s.Get(result, account.PasswordFile),
                LedgerPath = s.Get(result, account.Ledger),
            }, loggerFactory, cancellationToken);
            var redeemed = await session.Redeemer.RedeemAllAsync(cancellationToken);
            foreach (var r in redeemed) Console.WriteLine($"redeemed {PrzAmount.Format(r.Paid)} PRZ from {r.Client} in {r.TransactionHash}");
            Console.WriteLine($"redeemed {redeemed.Count} voucher(s), {PrzAmount.Format(redeemed.Aggregate(System.Numerics.BigInteger.Zero, (sum, r) => sum + r.Paid))} PRZ in total");
        });
        return command;
    }
}
