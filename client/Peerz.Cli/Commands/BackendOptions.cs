using System.CommandLine;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Peerz.Hosting;
using Peerz.Hosting.Chain;
using Peerz.Hosting.Wallets;

namespace Peerz.Cli.Commands;

/// <summary>
/// The options every model-running command shares: which model, where its blocks run (--local or
/// --bootstrap), its name in the swarm, dtype and quantization, and the wallet that pays providers (when
/// --rpc-url and --deployment are given). Defined once so generate and serve agree.
/// </summary>
public sealed class BackendOptions
{
    public Option<string?> Model { get; } = ModelOptions.Model();
    public Option<bool> Local { get; } = new("--local") { Description = "Run every block in this process (the single-process reference)" };
    public Option<string[]> Bootstrap { get; } = new("--bootstrap") { Description = "Multiaddrs (with /p2p/ID) of swarm members; blocks then run on the swarm's providers", DefaultValueFactory = _ => [], AllowMultipleArgumentsPerToken = true };
    public Option<string[]> Listen { get; } = new("--listen")
    {
        Description = "Multiaddrs this client listens on, so hole punching can connect it directly to providers behind NATs; none: providers behind NATs are reached through relays only",
        DefaultValueFactory = _ => ["/ip4/0.0.0.0/tcp/0"],
        AllowMultipleArgumentsPerToken = true,
    };
    public Option<string?> ModelId { get; } = new("--model-id") { Description = "Name of the model in the swarm (default: the model directory's name)" };
    public Option<string> DType { get; } = ModelOptions.DType();
    public Option<string> Quant { get; } = ModelOptions.Quant();
    public Option<string?> RpcUrl { get; } = ChainOptions.RpcUrl();
    public Option<string?> Deployment { get; } = ChainOptions.Deployment();
    public Option<string> Keystore { get; } = WalletOptions.Keystore();
    public Option<string?> PasswordFile { get; } = WalletOptions.PasswordFile();
    public Option<string> Ledger { get; } = new("--ledger") { Description = "SQLite ledger of vouchers signed and receipts received", DefaultValueFactory = _ => Path.Combine(PeerzHome.Directory(), "client-ledger.db") };

    public Option<string> LaneAmount { get; } = new("--lane-amount")
    {
        Description = "PRZ to reserve from the deposit for a provider whenever its escrow lane cannot cover the next voucher (at least the shortfall); providers accept vouchers only up to their lane",
        DefaultValueFactory = _ => "1",
    };

    public Option<bool> Push { get; } = new("--push")
    {
        Description = "Server-to-server push: providers forward each hop's output straight to the next hop (one network pass per token instead of a round trip per hop); --push false carries every hop's input from the client",
        DefaultValueFactory = _ => true,
    };

    public Option<string[]> ReportTo { get; } = new("--report-to") { Description = "Settlement and verifier URLs to pass accepted receipts on to (POST /v1/receipts)", DefaultValueFactory = _ => [], AllowMultipleArgumentsPerToken = true };

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { Model, Local, Bootstrap, Listen, ModelId, DType, Quant, RpcUrl, Deployment, Keystore, PasswordFile, Ledger, LaneAmount, Push, ReportTo }) command.Options.Add(option);
    }

    /// <summary>Checks the options, resolves the model (generating the default one if needed) and opens the backend.</summary>
    /// <param name="logging">Where the swarm backend logs provider failures (nowhere by default).</param>
    public async Task<(GenerationBackend Backend, string ModelId, string Directory)> OpenAsync(LayeredSettings settings, ParseResult result, CancellationToken cancellationToken, ILoggerFactory? logging = null)
    {
        var bootstrap = settings.Get(result, Bootstrap);
        var local = settings.Get(result, Local);
        if (!local && bootstrap.Length == 0)
            throw new UserErrorException("say where the blocks run: --bootstrap MULTIADDR to use the swarm, or --local to run every block in this process");
        var directory = DefaultModel.Resolve(settings.Get(result, Model), Console.Error);
        var loadOptions = ModelOptions.LoadOptions(settings.Get(result, DType), settings.Get(result, Quant));
        var modelId = settings.Get(result, ModelId) ?? DefaultModel.IdOf(directory);
        var chain = ChainOptions.Resolve(settings, result, RpcUrl, Deployment);
        var wallet = chain is null || local ? null : new ClientWallet(chain, settings.Get(result, Keystore), settings.Get(result, PasswordFile), settings.Get(result, Ledger),
                PrzAmount.ParseToWei(settings.Get(result, LaneAmount), "--lane-amount"), ReportUrls(settings.Get(result, ReportTo)));
        var backend = local
            ? GenerationBackend.Local(directory, loadOptions)
            : await GenerationBackend.SwarmAsync(directory, modelId, bootstrap, settings.Get(result, Listen), loadOptions, wallet, settings.Get(result, Push), logging ?? NullLoggerFactory.Instance, cancellationToken);
        return (backend, modelId, directory);
    }

    private static IReadOnlyList<Uri> ReportUrls(string[] texts) => texts.Select(text => HttpUrl.Parse(text, "--report-to")).ToList();
}
