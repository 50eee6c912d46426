using System.CommandLine;
using Microsoft.Extensions.Hosting;
using Peerz.Gateway;
using Peerz.Hosting;
using Peerz.Model.Checkpoints;
using Peerz.Model.Tokenization;

namespace Peerz.Cli.Commands;

/// <summary>`peerz serve`: the OpenAI-compatible HTTP API and chat page, backed by the swarm or the local model.</summary>
public static class ServeCommand
{
    public static Command Create(Func<string?, LayeredSettings> settingsFor, Option<string?> config)
    {
        var model = CommonOptions.Model();
        var local = new Option<bool>("--local") { Description = "Run every block in this process" };
        var bootstrap = new Option<string[]>("--bootstrap") { Description = "Multiaddrs (with /p2p/ID) of swarm members", DefaultValueFactory = _ => [], AllowMultipleArgumentsPerToken = true };
        var modelId = new Option<string?>("--model-id") { Description = "Name of the model in the swarm (default: the model directory's name)" };
        var url = new Option<string>("--url") { Description = "Where to listen", DefaultValueFactory = _ => "http://127.0.0.1:8080" };
        var maxTokens = new Option<int>("--max-tokens-per-request") { Description = "Upper bound on max_tokens", DefaultValueFactory = _ => 512 };
        var dtype = CommonOptions.DType();
        var quant = CommonOptions.Quant();
        var command = new Command("serve", "Serve an OpenAI-compatible API (/v1/models, /v1/completions, /v1/chat/completions) and a chat page at /")
        {
            model, local, bootstrap, modelId, url, maxTokens, dtype, quant,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            var settings = settingsFor(result.GetValue(config));
            var addresses = settings.Get(result, bootstrap);
            if (!settings.Get(result, local) && addresses.Length == 0)
                throw new UserErrorException("say where the blocks run: --bootstrap MULTIADDR to use the swarm, or --local");
            var directory = DefaultModel.Resolve(settings.Get(result, model), Console.Error);
            var loadOptions = CommonOptions.LoadOptions(settings.Get(result, dtype), settings.Get(result, quant));
            var id = settings.Get(result, modelId) ?? Path.GetFileName(Path.GetFullPath(directory).TrimEnd(Path.DirectorySeparatorChar));
            await using var backend = addresses.Length > 0 && !settings.Get(result, local)
                ? await GenerationBackend.SwarmAsync(directory, id, addresses, loadOptions, cancellationToken)
                : GenerationBackend.Local(directory, loadOptions);
            var tokenizer = Tokenizer.Load(Path.Combine(directory, Checkpoint.TokenizerFile));
            var engine = new PipelineCompletionEngine(id, backend.Head, backend.Pipeline, tokenizer, tokenizer.EndOfSequenceIds(backend.Head.Config),
                () => new CompletionDetails(backend.Route, null));
            await using var app = await GatewayServer.StartAsync(engine, settings.Get(result, url), settings.Get(result, maxTokens), cancellationToken: cancellationToken);
            Console.WriteLine($"serving {id} on {string.Join(" ", app.Urls)} (Ctrl-C stops)");
            await app.WaitForShutdownAsync(cancellationToken);
        });
        return command;
    }
}
