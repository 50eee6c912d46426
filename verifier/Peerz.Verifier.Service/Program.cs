using System.CommandLine;
using Microsoft.Extensions.Hosting;
using Peerz.Discovery;
using Peerz.Hosting;
using Peerz.Hosting.Chain;
using Peerz.Hosting.Logging;
using Peerz.Hosting.Wallets;
using Peerz.Model;
using Peerz.P2P;
using Peerz.Verifier.Hosting;
using Peerz.Verifier.Sampling;

var config = CommonOptions.Config();
var model = ModelOptions.Model();
var modelId = new Option<string?>("--model-id") { Description = "Name of the model in the swarm (default: the model directory's name)" };
var bootstrap = new Option<string[]>("--bootstrap") { Description = "Multiaddrs (with /p2p/ID) of swarm members", DefaultValueFactory = _ => [], AllowMultipleArgumentsPerToken = true };
var rpcUrl = ChainOptions.RpcUrl();
var deployment = ChainOptions.Deployment();
var keystore = WalletOptions.Keystore();
var passwordFile = WalletOptions.PasswordFile();
var ledger = new Option<string>("--ledger") { Description = "SQLite record of checks and slashes", DefaultValueFactory = _ => Path.Combine(PeerzHome.Directory(), "verifier.db") };
var clientLedger = new Option<string>("--client-ledger") { Description = "Probes' voucher ledgers: one SQLite file per probe key, in a directory named after this path (PATH without extension + \"-probes\")", DefaultValueFactory = _ => Path.Combine(PeerzHome.Directory(), "verifier-client.db") };
var probesPerKey = new Option<int>("--probes-per-key") { Description = "Probes paid from one fresh client key before the next is generated and funded", DefaultValueFactory = _ => 20 };
var sampleRate = new Option<double>("--sample-rate") { Description = "p: probability that a single-step session (a forward or backward request) is checked; a session of m steps is checked with probability min(1, p·(1 + f·m)) (docs/verification.md)", DefaultValueFactory = _ => 0.05 };
var designCheatRate = new Option<double>("--design-cheat-rate") { Description = "f: the cheat rate sampling is designed for; longer sessions are checked more often so that each response is caught with probability at least p·f", DefaultValueFactory = _ => 0.01 };
var sessionQuiet = new Option<int>("--session-quiet-seconds") { Description = "Check a sampled session's latest receipt once no newer step was reported for this long (at the latest a quarter of the provider's retention window after its first report)", DefaultValueFactory = _ => 30 };
var probeSeconds = new Option<int>("--probe-seconds") { Description = "Probe the swarm as an unannounced paying client this often (0: never); the verifier's wallet funds each probe key with PRZ and gas", DefaultValueFactory = _ => 60 };
var http = new Option<string>("--http") { Description = "Where to take receipt reports (POST /v1/receipts)", DefaultValueFactory = _ => "http://127.0.0.1:8470" };
var settlementUrl = new Option<string?>("--settlement-url") { Description = "peerz-settle API to report verification work to (rewarded by role)" };
var unavailableFailures = new Option<int>("--unavailable-failures") { Description = "Failed payload fetches (spread over time) before an Unavailable challenge", DefaultValueFactory = _ => 3 };
var unavailableSpacing = new Option<int>("--unavailable-spacing-seconds") { Description = "Least time between two failed fetches that both count", DefaultValueFactory = _ => 600 };
var reportsPerMinute = new Option<int>("--reports-per-minute") { Description = "Refused receipt reports (bad signature, other model, not checkable) each reporter address may send per minute before it is turned away", DefaultValueFactory = _ => 60 };
var maxRecomputeTokens = new Option<long>("--max-recompute-tokens") { Description = "Largest batch × positions recomputed per check (bounds memory and time)", DefaultValueFactory = _ => 16384 };
var verbose = CommonOptions.Verbose();

var root = new RootCommand("peerz-verifier: spot-check providers' signed receipts by recomputing their blocks; slash fraud on chain")
{
    config, model, modelId, bootstrap, rpcUrl, deployment, keystore, passwordFile, ledger, clientLedger, sampleRate, designCheatRate, sessionQuiet, probeSeconds, http, settlementUrl,
    unavailableFailures, unavailableSpacing, probesPerKey, reportsPerMinute, maxRecomputeTokens, verbose,
};
root.SetAction(async (result, cancellationToken) =>
{
    var s = LayeredSettings.Load(result.GetValue(config));
    var directory = DefaultModel.Resolve(s.Get(result, model), Console.Error);
    var builder = Host.CreateApplicationBuilder();
    builder.Logging.AddPeerzConsole(s.Get(result, verbose));
    // Values are parsed here; the ranges are checked when the host starts (VerifierOptionsValidator), before anything is opened.
    builder.Services.AddPeerzVerifier(o =>
    {
        o.ModelDirectory = directory;
        o.ModelId = s.Get(result, modelId) ?? DefaultModel.IdOf(directory);
        o.Bootstrap = ParseAddresses(s.Get(result, bootstrap));
        o.Chain = ChainOptions.Resolve(s, result, rpcUrl, deployment);
        o.Keystore = s.Get(result, keystore);
        o.PasswordFile = s.Get(result, passwordFile);
        o.LedgerPath = s.Get(result, ledger);
        o.ProbeDirectory = Path.ChangeExtension(s.Get(result, clientLedger), null) + "-probes";
        o.ProbesPerKey = s.Get(result, probesPerKey);
        o.SampleRate = s.Get(result, sampleRate);
        o.DesignCheatRate = s.Get(result, designCheatRate);
        o.SessionQuiet = TimeSpan.FromSeconds(s.Get(result, sessionQuiet));
        o.ProbeInterval = TimeSpan.FromSeconds(Math.Max(0, s.Get(result, probeSeconds)));
        o.HttpUrl = s.Get(result, http);
        o.Unavailability = UnavailabilityPolicy.Default with
        {
            Failures = s.Get(result, unavailableFailures),
            Spacing = TimeSpan.FromSeconds(s.Get(result, unavailableSpacing)),
        };
        o.ReportsPerMinute = s.Get(result, reportsPerMinute);
        o.MaxRecomputeTokens = s.Get(result, maxRecomputeTokens);
        o.SettlementUrl = s.Get(result, settlementUrl) is { } url
            ? Uri.TryCreate(url.EndsWith('/') ? url : url + "/", UriKind.Absolute, out var uri) ? uri : throw new UserErrorException($"--settlement-url '{url}' is not a URL")
            : null;
    });
    await PeerzHost.RunAsync(builder.Build(), cancellationToken);
});
return await CommandRunner.RunAsync(root, args, e => e is CheckpointFormatException or SwarmUnreachableException);

static IReadOnlyList<Multiaddr> ParseAddresses(string[] texts)
{
    try
    {
        return texts.Select(Multiaddr.Parse).ToList();
    }
    catch (FormatException e)
    {
        throw new UserErrorException($"--bootstrap: {e.Message}");
    }
}
