using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Peerz.Hosting;
using Peerz.Hosting.Chain;
using Peerz.Hosting.Logging;
using Peerz.Hosting.Metrics;
using Peerz.Model;
using Peerz.Model.Tokenization;
using Peerz.Node.Payments;
using Peerz.Node.Push;
using Peerz.Node.Serving;
using Peerz.Node.Swarm;
using Peerz.P2P;
using Peerz.Provider;
using Peerz.Provider.Status;

var config = CommonOptions.Config();
var model = ModelOptions.Model();
var modelId = new Option<string?>("--model-id") { Description = "Name of the model in the swarm (default: the model directory's name)" };
var blocks = new Option<string?>("--blocks") { Description = "Blocks to serve as START:END (end exclusive), e.g. 4:12" };
var numBlocks = new Option<int>("--num-blocks") { Description = "Without --blocks: serve this many blocks where the swarm is weakest", DefaultValueFactory = _ => 4 };
var rebalance = new Option<int>("--rebalance-seconds") { Description = "Without --blocks: check this often (on average) whether moving to other blocks would help the swarm; 0 = never", DefaultValueFactory = _ => 150 };
var dtype = ModelOptions.DType();
var quant = ModelOptions.Quant();
var cacheBytes = new Option<long>("--cache-bytes") { Description = "KV cache budget in bytes, shared by all sessions", DefaultValueFactory = _ => new ServingLimits().CacheBytes };
var maxSessions = new Option<int>("--max-sessions") { Description = "Concurrent inference sessions", DefaultValueFactory = _ => new ServingLimits().MaxSessions };
var maxTokens = new Option<int>("--max-tokens-per-step") { Description = "Tokens one request may carry", DefaultValueFactory = _ => new ServingLimits().MaxTokensPerStep };
var idleTimeout = new Option<int>("--session-idle-seconds") { Description = "Close sessions this long after their last accepted step", DefaultValueFactory = _ => (int)new ServingLimits().SessionIdleTimeout.TotalSeconds };
var listen = new Option<string[]>("--listen") { Description = "Multiaddrs to listen on", DefaultValueFactory = _ => ["/ip4/127.0.0.1/tcp/0"], AllowMultipleArgumentsPerToken = true };
var announceAddress = new Option<string[]>("--announce-address") { Description = "Multiaddrs to announce besides the listen addresses, e.g. /ip4/PUBLIC_IP/tcp/4001 when your router forwards that port to --listen", DefaultValueFactory = _ => [], AllowMultipleArgumentsPerToken = true };
var relayService = new Option<string>("--relay-service") { Description = "Relay for providers behind NATs: auto (while AutoNAT finds this provider public), on, off", DefaultValueFactory = _ => "auto" };
var bootstrap = new Option<string[]>("--bootstrap") { Description = "Multiaddrs (with /p2p/ID) of swarm members to join through", DefaultValueFactory = _ => [], AllowMultipleArgumentsPerToken = true };
var identity = new Option<string>("--identity") { Description = "Ed25519 key file (created with mode 0600 if missing)", DefaultValueFactory = _ => Path.Combine(PeerzHome.Directory(), "provider.key") };
var price = new Option<string>("--price") { Description = "Price in PRZ wei per token per block", DefaultValueFactory = _ => "0" };
var verbose = CommonOptions.Verbose();
var account = AccountOptions.Create();
var stake = new Option<string>("--stake") { Description = "PRZ to add to the stake at start (e.g. 1000); needed once to register", DefaultValueFactory = _ => "0" };
var redeemSeconds = new Option<int>("--redeem-seconds") { Description = "Redeem held vouchers this often; must be shorter than the escrow's withdrawal delay (checked at start)", DefaultValueFactory = _ => 600 };
var retentionSeconds = new Option<int>("--retention-seconds") { Description = "Keep a session's payloads this long after its last step, for verifiers (announced in the provider's info)", DefaultValueFactory = _ => 3600 };
var maxSessionsPerPeer = new Option<int>("--max-sessions-per-peer") { Description = "Concurrent inference sessions one peer may hold", DefaultValueFactory = _ => new ServingLimits().MaxSessionsPerPeer };
var noPush = new Option<bool>("--no-push") { Description = "Take no part in server-to-server push: neither forward outputs to a route's next hop nor accept pushed inputs (clients then relay this hop)" };
var batchWindow = new Option<double>("--batch-window-ms") { Description = "Batch concurrent sessions' decode steps that arrive within this many milliseconds into one forward pass; 0 = no batching", DefaultValueFactory = _ => new BatchingOptions().Window.TotalMilliseconds };
var metricsListen = MetricsOptions.Listen();
var statusListen = new Option<string?>("--status-listen") { Description = "Serve a status page for the operator at http://HOST:PORT/ (span, sessions, cache, tokens, payments, stake and jail, reachability); also /status.json and /metrics" };

var root = new RootCommand("peerz-provider: serve a span of transformer blocks to the Peerz swarm (paid when --rpc-url and --deployment are given)")
{
    config, model, modelId, blocks, numBlocks, rebalance, dtype, quant, cacheBytes, maxSessions, maxSessionsPerPeer, maxTokens, idleTimeout, listen, announceAddress, relayService, bootstrap, identity, price, verbose,
    stake, redeemSeconds, retentionSeconds, noPush, batchWindow,
};
account.AddTo(root);
root.Subcommands.Add(RedeemCommand.Create(config));
root.Options.Add(metricsListen);
root.Options.Add(statusListen);
root.SetAction(async (result, cancellationToken) =>
{
    var s = LayeredSettings.Load(result.GetValue(config));
    var chain = account.Chain(s, result);
    var directory = DefaultModel.Resolve(s.Get(result, model), Console.Error);
    var settings = new ProviderSettings
    {
        ModelDirectory = directory,
        ModelId = s.Get(result, modelId) ?? DefaultModel.IdOf(directory),
        Blocks = ParseBlocks(s.Get(result, blocks)),
        NumBlocks = Positive(s.Get(result, numBlocks), "--num-blocks"),
        RebalancePeriod = s.Get(result, rebalance) >= 0 ? TimeSpan.FromSeconds(s.Get(result, rebalance)) : throw new UserErrorException("--rebalance-seconds must be 0 (off) or positive"),
        LoadOptions = ModelOptions.LoadOptions(s.Get(result, dtype), s.Get(result, quant)),
        Limits = new ServingLimits
        {
            CacheBytes = Positive(s.Get(result, cacheBytes), "--cache-bytes"),
            MaxSessions = Positive(s.Get(result, maxSessions), "--max-sessions"),
            MaxSessionsPerPeer = Positive(s.Get(result, maxSessionsPerPeer), "--max-sessions-per-peer"),
            MaxTokensPerStep = Positive(s.Get(result, maxTokens), "--max-tokens-per-step"),
            SessionIdleTimeout = TimeSpan.FromSeconds(Positive(s.Get(result, idleTimeout), "--session-idle-seconds")),
            Batching = s.Get(result, batchWindow) switch
            {
                0 => BatchingOptions.Disabled,
                > 0 and <= 1000 and var ms => new BatchingOptions { Window = TimeSpan.FromMilliseconds(ms) },
                _ => throw new UserErrorException("--batch-window-ms must be 0 (no batching) or a positive number of milliseconds up to 1000"),
            },
        },
        Listen = ParseAddresses(s.Get(result, listen), "--listen"),
        Bootstrap = ParseAddresses(s.Get(result, bootstrap), "--bootstrap"),
        AnnounceAddresses = ParseAddresses(s.Get(result, announceAddress), "--announce-address"),
        RelayService = s.Get(result, relayService) switch
        {
            "auto" => RelayServiceMode.Auto,
            "on" => RelayServiceMode.On,
            "off" => RelayServiceMode.Off,
            var other => throw new UserErrorException($"--relay-service '{other}' must be auto, on or off"),
        },
        IdentityFile = s.Get(result, identity),
        Push = new PushOptions { Enabled = !s.Get(result, noPush) },
        Fault = WrongOutputFault.FromVariable(Environment.GetEnvironmentVariable(WrongOutputFault.RateVariable)),
        PricePerToken = System.Numerics.BigInteger.TryParse(s.Get(result, price), out var wei) && wei >= 0 ? wei : throw new UserErrorException("--price must be a non-negative integer (PRZ wei)"),
        Payments = chain is null ? null : new PaymentSettings
        {
            Chain = chain,
            Keystore = s.Get(result, account.Keystore),
            PasswordFile = s.Get(result, account.PasswordFile),
            LedgerPath = s.Get(result, account.Ledger),
            AddStake = PrzAmount.ParseToWei(s.Get(result, stake), "--stake"),
            RedeemInterval = TimeSpan.FromSeconds(Positive(s.Get(result, redeemSeconds), "--redeem-seconds")),
            PayloadRetention = TimeSpan.FromSeconds(Positive(s.Get(result, retentionSeconds), "--retention-seconds")),
        },
    };
    var builder = Host.CreateApplicationBuilder();
    builder.Logging.AddPeerzConsole(s.Get(result, verbose));
    builder.Services.AddSingleton(settings);
    builder.Services.AddProviderMetrics(s.Get(result, metricsListen));
    builder.Services.AddProviderStatus(s.Get(result, statusListen));
    builder.Services.AddHostedService<ProviderService>();
    await PeerzHost.RunAsync(builder.Build(), cancellationToken);
});
return await CommandRunner.RunAsync(root, args, e => e is CheckpointFormatException or TokenizerException or FormatException or ProviderNotEligibleException);

static (int, int)? ParseBlocks(string? text)
{
    if (text is null) return null;
    var parts = text.Split(':');
    if (parts.Length == 2 && int.TryParse(parts[0], out var start) && int.TryParse(parts[1], out var end) && start >= 0 && end > start)
        return (start, end);
    throw new UserErrorException($"--blocks '{text}' must be START:END with 0 <= START < END, e.g. 0:4");
}

static IReadOnlyList<Multiaddr> ParseAddresses(string[] texts, string option)
{
    try
    {
        return texts.Select(Multiaddr.Parse).ToList();
    }
    catch (FormatException e)
    {
        throw new UserErrorException($"{option}: {e.Message}");
    }
}

static T Positive<T>(T value, string option) where T : System.Numerics.INumber<T> =>
    value > T.Zero ? value : throw new UserErrorException($"{option} must be positive");
