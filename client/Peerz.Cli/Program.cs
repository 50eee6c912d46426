using Peerz.Cli;
using Peerz.Cli.Commands;
using Peerz.Client.Routing;
using Peerz.Hosting;
using Peerz.Model;

var config = CommonOptions.Config();
LayeredSettings SettingsFor(string? file) => LayeredSettings.Load(file);

var root = new System.CommandLine.RootCommand("peerz: run and fine-tune large language models across a peer-to-peer swarm")
{
    config,
    CliLogging.Verbose,
    ModelCommand.Create(SettingsFor, config),
    GenerateCommand.Create(SettingsFor, config),
    ServeCommand.Create(SettingsFor, config),
    WalletCommand.Create(SettingsFor, config),
    DepositCommand.Create(SettingsFor, config),
    WithdrawCommand.Create(SettingsFor, config),
    LaneCommand.Create(SettingsFor, config),
    ClaimCommand.Create(SettingsFor, config),
    DaoCommand.Create(SettingsFor, config),
    FinetuneCommand.Create(SettingsFor, config),
};
// No route (every provider of some block is down or routed around) is the swarm's state, not a bug: the user gets
// "error: no online provider serves block N …" and exit code 1, not a stack trace (found by the chaos soak).
return await CommandRunner.RunAsync(root, args, e => e is CheckpointFormatException or NoRouteException);
