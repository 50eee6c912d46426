using System.CommandLine;
using Peerz.Chain.Primitives;
using Peerz.Hosting;
using Peerz.Hosting.Chain;

namespace Peerz.Cli.Commands;

/// <summary>`peerz deposit AMOUNT`: approve the escrow for AMOUNT PRZ, then deposit it (what providers are paid from).</summary>
public static class DepositCommand
{
    public static Command Create(Func<string?, LayeredSettings> settingsFor, Option<string?> config)
    {
        var chain = new ChainCommandOptions();
        var amount = new Argument<string>("AMOUNT") { Description = "PRZ to deposit, e.g. 12.5 (up to 18 decimals)" };
        var command = new Command("deposit", "Deposit PRZ into the payment escrow (approve + deposit)") { amount };
        chain.AddTo(command);
        command.SetAction(async (result, ct) =>
        {
            var settings = settingsFor(result.GetValue(config));
            var wei = ChainCommandOptions.PositiveAmount(result.GetValue(amount)!);
            using var connection = await chain.ConnectAsync(settings, result, ct);
            var account = connection.Account!.Address;
            var balance = await connection.Token.BalanceOfAsync(account, ct);
            if (balance < wei) throw new UserErrorException($"{account} holds {PrzAmount.Format(balance)} PRZ, less than {PrzAmount.Format(wei)}");
            await ChainCommandOptions.SendAsync("approve", () => connection.Token.ApproveAsync(connection.Escrow.Address, wei, ct));
            var receipt = await ChainCommandOptions.SendAsync("deposit", () => connection.Escrow.DepositAsync(wei, ct));
            var escrow = await connection.Escrow.BalanceOfAsync(account, ct);
            Console.WriteLine($"deposited {PrzAmount.Format(wei)} PRZ (tx {Hex.Encode(receipt.TransactionHash)}); escrow balance {PrzAmount.Format(escrow)} PRZ");
        });
        return command;
    }
}
