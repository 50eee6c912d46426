using System.CommandLine;
using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Peerz.Hosting;
using Peerz.Hosting.Chain;
using Peerz.Hosting.Logging;
using Peerz.Hosting.Wallets;
using Peerz.Settle;
using Peerz.Settlement;
using Peerz.Settlement.Contributions;
using Peerz.Settlement.Epochs;
using Peerz.Settlement.Hosting;
using Peerz.Settlement.Storage;
using Peerz.Settlement.Uptime;

// Crash testing only: kill this process right after postRoot is sent, before the store records it.
const string CrashAfterPostVariable = "PEERZ_SETTLE_CRASH_AFTER_POST";

var config = CommonOptions.Config();
var rpcUrl = ChainOptions.RpcUrl();
var deployment = ChainOptions.Deployment();
var keystore = WalletOptions.Keystore();
var passwordFile = WalletOptions.PasswordFile();
var dataDir = new Option<string>("--data-dir") { Description = "Directory of the published epoch-N.json proofs (and of settlement.db unless --store is given)", DefaultValueFactory = _ => Path.Combine(PeerzHome.Directory(), "settlement") };
var store = new Option<string?>("--store")
{
    Description = "The settlement store: a postgres:// or postgresql:// URL (e.g. postgres://peerz:PASSWORD@db.example:5432/settlement) is a PostgreSQL database; "
        + "anything else is a SQLite file path (default: settlement.db in --data-dir)",
};
var listen = new Option<string>("--listen") { Description = "HTTP address of the settlement API (port 0 picks a free port)", DefaultValueFactory = _ => "http://127.0.0.1:8547" };
var bootstrap = new Option<string[]>("--bootstrap") { Description = "Routing peers whose uptime is rewarded, as ACCOUNT=MULTIADDR (with /p2p/ID)", DefaultValueFactory = _ => [], AllowMultipleArgumentsPerToken = true };
var uptimeSeconds = new Option<int>("--uptime-interval") { Description = "Seconds between uptime pings of each routing peer", DefaultValueFactory = _ => 60 };
var pollSeconds = new Option<int>("--poll-interval") { Description = "Seconds between checks for ended epochs", DefaultValueFactory = _ => 5 };
var models = new Option<string[]>("--model")
{
    Description = "A model whose receipts are rewarded, as NAME=LAYERS (the name providers serve, e.g. tiny-llama=8, or its 0x receipt id); repeatable, required",
    DefaultValueFactory = _ => [],
    AllowMultipleArgumentsPerToken = true,
};
var verifierUrls = new Option<string[]>("--verifier-url") { Description = "Verifier API (http://…) every accepted receipt is forwarded to; repeatable", DefaultValueFactory = _ => [], AllowMultipleArgumentsPerToken = true };
var closeDelay = new Option<int>("--close-delay")
{
    Description = "Seconds after an epoch's end before it is closed, so providers can redeem its vouchers first (must exceed their --redeem-seconds; shorter than an epoch)",
    DefaultValueFactory = _ => 300,
};
var maxBody = new Option<int>("--max-request-bytes") { Description = "Largest accepted request body", DefaultValueFactory = _ => 16 * 1024 };
var verbose = CommonOptions.Verbose();

var root = new RootCommand("peerz-settle: collect verified work, close reward epochs on chain, publish Merkle proofs")
{
    config, rpcUrl, deployment, keystore, passwordFile, dataDir, store, listen, models, verifierUrls, closeDelay, bootstrap, uptimeSeconds, pollSeconds, maxBody, verbose,
};
root.SetAction(async (result, cancellationToken) =>
{
    var s = LayeredSettings.Load(result.GetValue(config));
    var chainSettings = ChainOptions.Resolve(s, result, rpcUrl, deployment) ?? throw new UserErrorException("peerz-settle needs --rpc-url and --deployment");
    if (!Uri.TryCreate(s.Get(result, listen), UriKind.Absolute, out var listenUri)) throw new UserErrorException("--listen must be an http URL such as http://127.0.0.1:8547");
    using var connector = new WalletChainConnector(chainSettings, s.Get(result, keystore), s.Get(result, passwordFile));
    var builder = Host.CreateApplicationBuilder();
    builder.Logging.AddPeerzConsole(s.Get(result, verbose));
    var crash = Environment.GetEnvironmentVariable(CrashAfterPostVariable) == "1" ? new SettlementHooks(() => Process.GetCurrentProcess().Kill()) : null;
    // Values are parsed here; the ranges are checked when the host starts (SettlementOptionsValidator), before the wallet is opened.
    builder.Services.AddPeerzSettlement(o =>
    {
        o.DataDirectory = s.Get(result, dataDir);
        o.Store = s.Get(result, store);
        o.Listen = listenUri;
        o.BootstrapPeers = ParsePeers(s.Get(result, bootstrap));
        o.UptimeInterval = TimeSpan.FromSeconds(s.Get(result, uptimeSeconds));
        o.PollInterval = TimeSpan.FromSeconds(s.Get(result, pollSeconds));
        o.MaxRequestBytes = s.Get(result, maxBody);
        o.Models = ParseModels(s.Get(result, models));
        o.VerifierUrls = [.. s.Get(result, verifierUrls).Select(ParseVerifierUrl)];
        o.CloseDelay = TimeSpan.FromSeconds(s.Get(result, closeDelay));
    }, connector, crash);
    await PeerzHost.RunAsync(builder.Build(), cancellationToken);
});
return await CommandRunner.RunAsync(root, args, e => e is SettlementConflictException or FormatException or StoreUnavailableException);

static IReadOnlyList<BootstrapPeer> ParsePeers(string[] texts)
{
    try
    {
        return [.. texts.Select(BootstrapPeer.Parse)];
    }
    catch (FormatException e)
    {
        throw new UserErrorException($"--bootstrap: {e.Message}");
    }
}

static ServedModels ParseModels(string[] texts)
{
    try
    {
        return ServedModels.Parse(texts);
    }
    catch (FormatException e)
    {
        throw new UserErrorException($"--model: {e.Message}");
    }
}

static Uri ParseVerifierUrl(string text) =>
    Uri.TryCreate(text.EndsWith('/') ? text : text + "/", UriKind.Absolute, out var url) && (url.Scheme == Uri.UriSchemeHttp || url.Scheme == Uri.UriSchemeHttps)
        ? url
        : throw new UserErrorException($"--verifier-url: '{text}' is not an http(s) URL");
