using System.CommandLine;
using Peerz.Chain.Contracts;
using Peerz.Chain.Primitives;
using Peerz.Hosting;
using Peerz.Hosting.Chain;

namespace Peerz.Cli.Commands;

/// <summary>`peerz withdraw request AMOUNT` starts the escrow's withdrawal delay; `peerz withdraw complete` pays out after it.</summary>
public static class WithdrawCommand
{
    public static Command Create(Func<string?, LayeredSettings> settingsFor, Option<string?> config)
    {
        var command = new Command("withdraw", "Take PRZ back out of the payment escrow (after its withdrawal delay)");
        command.Subcommands.Add(Request(settingsFor, config));
        command.Subcommands.Add(Complete(settingsFor, config));
        return command;
    }

    private static Command Request(Func<string?, LayeredSettings> settingsFor, Option<string?> config)
    {
        var chain = new ChainCommandOptions();
        var amount = new Argument<string>("AMOUNT") { Description = "PRZ to withdraw, e.g. 12.5; replaces a pending request and restarts the delay" };
        var command = new Command("request", "Request a withdrawal of unreserved PRZ (lanes reserved for providers are released with `peerz lane release`); it leaves the deposit at once and is paid out after the delay") { amount };
        chain.AddTo(command);
        command.SetAction(async (result, ct) =>
        {
            var settings = settingsFor(result.GetValue(config));
            var wei = ChainCommandOptions.PositiveAmount(result.GetValue(amount)!);
            using var connection = await chain.ConnectAsync(settings, result, ct);
            var receipt = await ChainCommandOptions.SendAsync("requestWithdrawal", () => connection.Escrow.RequestWithdrawalAsync(wei, ct));
            var requested = connection.Escrow.Events(receipt, PaymentEscrow.WithdrawalRequestedEvent).Single();
            var release = DateTimeOffset.FromUnixTimeSeconds((long)(System.Numerics.BigInteger)requested["releaseTime"]!);
            Console.WriteLine($"withdrawal of {PrzAmount.Format(wei)} PRZ requested (tx {Hex.Encode(receipt.TransactionHash)}); complete it after {release:u} with `peerz withdraw complete`");
        });
        return command;
    }

    private static Command Complete(Func<string?, LayeredSettings> settingsFor, Option<string?> config)
    {
        var chain = new ChainCommandOptions();
        var command = new Command("complete", "Pay out the requested withdrawal once its delay has passed");
        chain.AddTo(command);
        command.SetAction(async (result, ct) =>
        {
            var settings = settingsFor(result.GetValue(config));
            using var connection = await chain.ConnectAsync(settings, result, ct);
            var receipt = await ChainCommandOptions.SendAsync("withdraw", () => connection.Escrow.WithdrawAsync(ct));
            var paid = (System.Numerics.BigInteger)connection.Escrow.Events(receipt, PaymentEscrow.WithdrawnEvent).Single()["amount"]!;
            Console.WriteLine($"withdrew {PrzAmount.Format(paid)} PRZ (tx {Hex.Encode(receipt.TransactionHash)})");
        });
        return command;
    }
}
