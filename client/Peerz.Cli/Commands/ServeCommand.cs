using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Peerz.Client.Training;
using Peerz.Gateway;
using Peerz.Gateway.Economics;
using Peerz.Gateway.Network;
using Peerz.Hosting;
using Peerz.Hosting.Chain;
using Peerz.Hosting.Metrics;
using Peerz.Model.Adapters;
using Peerz.Model.Checkpoints;
using Peerz.Model.Generation;
using Peerz.Model.Tokenization;
using Peerz.Settlement.Http;

namespace Peerz.Cli.Commands;

/// <summary>`peerz serve`: the OpenAI-compatible HTTP API and chat page, backed by the swarm or the local model.</summary>
public static class ServeCommand
{
    public static Command Create(Func<string?, LayeredSettings> settingsFor, Option<string?> config)
    {
        var backendOptions = new BackendOptions();
        var url = new Option<string>("--url") { Description = "Where to listen", DefaultValueFactory = _ => "http://127.0.0.1:8080" };
        var maxTokens = new Option<int>("--max-tokens-per-request") { Description = "Upper bound on max_tokens", DefaultValueFactory = _ => 512 };
        var settlementUrl = new Option<string?>("--settlement-url") { Description = "Settlement API (http://…) whose last settled epoch's top earners the economics panel shows" };
        var adapters = new Option<string[]>("--adapter")
        {
            Description = "NAME=DIR: also serve the LoRA adapter in PEFT directory DIR as model MODEL_ID:NAME (repeatable)",
            DefaultValueFactory = _ => [],
        };
        var command = new Command("serve", "Serve an OpenAI-compatible API (/v1/models, /v1/completions, /v1/chat/completions), a chat page at / and a map of the swarm at /network")
        {
            url, maxTokens, settlementUrl, adapters,
        };
        backendOptions.AddTo(command);
        command.SetAction(async (result, cancellationToken) =>
        {
            var settings = settingsFor(result.GetValue(config));
            using var logging = CliLogging.Create(settings, result, LogLevel.Warning);
            var (backend, id, directory) = await backendOptions.OpenAsync(settings, result, cancellationToken, logging);
            await using var disposeBackend = backend;
            var tokenizer = Tokenizer.Load(Path.Combine(directory, Checkpoint.TokenizerFile));
            CompletionDetails Details() => new(backend.Route, backend.Paid.IsZero ? null : $"{PrzAmount.Format(backend.Paid)} PRZ paid so far",
                [.. backend.Hops.Select(h => new RouteHopDetail(h.Provider.PeerId[^8..], h.Start, h.End, backend.Swarm?.MeasuredRoundTrip(h.Provider.PeerId)?.TotalMilliseconds))]);
            PipelineCompletionEngine Engine(string modelId, IBlockPipeline pipeline) =>
                new(modelId, backend.Head, pipeline, tokenizer, tokenizer.EndOfSequenceIds(backend.Head.Config), Details);
            // Each adapter is one more model over the same blocks: its sessions carry it to the providers (docs/gateway.md).
            using var loaded = new DisposableList<LoraAdapter>();
            var engines = new List<ICompletionEngine> { Engine(id, backend.Pipeline) };
            foreach (var spec in settings.Get(result, adapters))
            {
                var (name, adapterDirectory) = AdapterDirectories.ParseNamed(spec, "--adapter");
                if (engines.Any(e => e.ModelId == $"{id}:{name}")) throw new UserErrorException($"--adapter: the name '{name}' is given twice");
                engines.Add(Engine($"{id}:{name}", new AdaptedPipeline(backend.Pipeline, loaded.Add(AdapterDirectories.Load(adapterDirectory, backend.Head.Config, "--adapter")))));
            }
            // The network map reads the registry over its own read-only connection: it needs no key, and its reads must
            // not queue behind the wallet's transactions.
            var chain = ChainOptions.Resolve(settings, result, backendOptions.RpcUrl, backendOptions.Deployment);
            using var chainConnection = chain is null ? null : await ChainConnection.ConnectAsync(chain, null, cancellationToken);
            var network = new NetworkView(backend.Swarm, backend.Swarm is null ? [] : [new ModelShape(id, backend.Head.Config.NumLayers)],
                chainConnection is null ? null : new ChainStakeReader(chainConnection.Rpc, chainConnection.Registry),
                Options.Create(new NetworkViewOptions()), TimeProvider.System, logging.CreateLogger<NetworkView>());
            using var settlementHttp = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            var settlement = settings.Get(result, settlementUrl) is { } settlementAddress ? new SettlementClient(settlementHttp, HttpUrl.Parse(settlementAddress, "--settlement-url")) : null;
            var economics = new EconomicsView(chainConnection?.Rpc, chainConnection?.Rewards, chainConnection?.Escrow, chainConnection?.Governor, settlement,
                Options.Create(new EconomicsViewOptions()), TimeProvider.System, logging.CreateLogger<EconomicsView>());
            await using var app = await GatewayServer.StartAsync(engines, settings.Get(result, url), settings.Get(result, maxTokens), CliLogging.IsVerbose(settings, result), network: network,
                economics: economics, cancellationToken: cancellationToken);
            // The gateway's /metrics counts what the wallet paid.
            backend.PaymentMade += app.Services.GetRequiredService<PaymentMetrics>().Paid;
            Console.WriteLine($"serving {string.Join(", ", engines.Select(e => e.ModelId))} on {string.Join(" ", app.Urls)} (Ctrl-C stops)");
            await app.WaitForShutdownAsync(cancellationToken);
        });
        return command;
    }
}
