using System.CommandLine;
using Peerz.Chain.Primitives;
using Peerz.Hosting;
using Peerz.Hosting.Chain;

namespace Peerz.Cli.Commands;

/// <summary>
/// `peerz lane show|reserve|release|complete PROVIDER`: the client's escrow lane to one provider (topped up automatically
/// while paying, see --lane-amount; `reserve` funds one ahead of time, e.g. for a service that does not top up). A release lowers what new vouchers may draw at once and returns the PRZ to the deposit
/// after the escrow's withdrawal delay, during which the provider can still redeem what it accepted.
/// </summary>
public static class LaneCommand
{
    public static Command Create(Func<string?, LayeredSettings> settingsFor, Option<string?> config)
    {
        var command = new Command("lane", "Inspect or release the deposit reserved for one provider");
        command.Subcommands.Add(Show(settingsFor, config));
        command.Subcommands.Add(Reserve(settingsFor, config));
        command.Subcommands.Add(Release(settingsFor, config));
        command.Subcommands.Add(Complete(settingsFor, config));
        return command;
    }

    private static Argument<string> Provider() => new("PROVIDER") { Description = "The provider's staking account (0x address)" };

    private static Command Show(Func<string?, LayeredSettings> settingsFor, Option<string?> config)
    {
        var chain = new ChainCommandOptions();
        var provider = Provider();
        var command = new Command("show", "Show the lane: reserved, being released, spendable, redeemed by the provider") { provider };
        chain.AddTo(command);
        command.SetAction(async (result, ct) =>
        {
            var to = ChainCommandOptions.ParseAddress(result.GetValue(provider)!, "PROVIDER");
            using var connection = await chain.ConnectAsync(settingsFor(result.GetValue(config)), result, ct);
            var client = connection.Account!.Address;
            var lane = await connection.Escrow.LaneAsync(client, to, ct);
            var redeemed = await connection.Escrow.RedeemedAsync(client, to, ct);
            var release = lane.Releasing.IsZero ? "" : $", releasable after {DateTimeOffset.FromUnixTimeSeconds((long)lane.ReleaseTime):u}";
            Console.WriteLine($"lane to {to}: {PrzAmount.Format(lane.Amount)} PRZ reserved, {PrzAmount.Format(lane.Releasing)} PRZ being released{release}, " +
                $"{PrzAmount.Format(lane.Spendable)} PRZ spendable; {PrzAmount.Format(redeemed)} PRZ redeemed by the provider so far");
        });
        return command;
    }

    private static Command Reserve(Func<string?, LayeredSettings> settingsFor, Option<string?> config)
    {
        var chain = new ChainCommandOptions();
        var provider = Provider();
        var amount = new Argument<string>("AMOUNT") { Description = "PRZ of the unreserved deposit to add to the lane, e.g. 2" };
        var command = new Command("reserve", "Move PRZ from the unreserved deposit into the lane to a provider") { provider, amount };
        chain.AddTo(command);
        command.SetAction(async (result, ct) =>
        {
            var to = ChainCommandOptions.ParseAddress(result.GetValue(provider)!, "PROVIDER");
            var wei = ChainCommandOptions.PositiveAmount(result.GetValue(amount)!);
            using var connection = await chain.ConnectAsync(settingsFor(result.GetValue(config)), result, ct);
            var receipt = await ChainCommandOptions.SendAsync("reserve", () => connection.Escrow.ReserveAsync(to, wei, ct));
            var lane = await connection.Escrow.LaneAsync(connection.Account!.Address, to, ct);
            Console.WriteLine($"reserved {PrzAmount.Format(wei)} PRZ for {to} (tx {Hex.Encode(receipt.TransactionHash)}); lane {PrzAmount.Format(lane.Amount)} PRZ");
        });
        return command;
    }

    private static Command Release(Func<string?, LayeredSettings> settingsFor, Option<string?> config)
    {
        var chain = new ChainCommandOptions();
        var provider = Provider();
        var amount = new Argument<string>("AMOUNT") { Description = "PRZ to release, e.g. 0.5; replaces a pending release and restarts the delay" };
        var command = new Command("release", "Request a release from the lane; the provider may still redeem it until it completes") { provider, amount };
        chain.AddTo(command);
        command.SetAction(async (result, ct) =>
        {
            var to = ChainCommandOptions.ParseAddress(result.GetValue(provider)!, "PROVIDER");
            var wei = ChainCommandOptions.PositiveAmount(result.GetValue(amount)!);
            using var connection = await chain.ConnectAsync(settingsFor(result.GetValue(config)), result, ct);
            var receipt = await ChainCommandOptions.SendAsync("requestRelease", () => connection.Escrow.RequestReleaseAsync(to, wei, ct));
            var lane = await connection.Escrow.LaneAsync(connection.Account!.Address, to, ct);
            Console.WriteLine($"release of {PrzAmount.Format(wei)} PRZ from the lane to {to} requested (tx {Hex.Encode(receipt.TransactionHash)}); " +
                $"complete it after {DateTimeOffset.FromUnixTimeSeconds((long)lane.ReleaseTime):u} with `peerz lane complete {to}`");
        });
        return command;
    }

    private static Command Complete(Func<string?, LayeredSettings> settingsFor, Option<string?> config)
    {
        var chain = new ChainCommandOptions();
        var provider = Provider();
        var command = new Command("complete", "Return the released PRZ to the deposit once the delay has passed") { provider };
        chain.AddTo(command);
        command.SetAction(async (result, ct) =>
        {
            var to = ChainCommandOptions.ParseAddress(result.GetValue(provider)!, "PROVIDER");
            using var connection = await chain.ConnectAsync(settingsFor(result.GetValue(config)), result, ct);
            var receipt = await ChainCommandOptions.SendAsync("release", () => connection.Escrow.ReleaseAsync(to, ct));
            var balance = await connection.Escrow.BalanceOfAsync(connection.Account!.Address, ct);
            Console.WriteLine($"released the lane to {to} (tx {Hex.Encode(receipt.TransactionHash)}); unreserved deposit {PrzAmount.Format(balance)} PRZ");
        });
        return command;
    }
}
