using System.CommandLine;
using Peerz.Hosting;
using Peerz.Model;
using Peerz.Model.Checkpoints;
using Peerz.Model.Generation;
using Peerz.Model.Tokenization;

namespace Peerz.Cli.Commands;

/// <summary>`peerz generate`: stream generated text to stdout.</summary>
public static class GenerateCommand
{
    public static Command Create(Func<string?, LayeredSettings> settingsFor, Option<string?> config)
    {
        var model = CommonOptions.Model();
        var prompt = new Option<string>("--prompt") { Description = "Text to continue", Required = true };
        var local = new Option<bool>("--local") { Description = "Run every block in this process (the single-process reference)" };
        var bootstrap = new Option<string[]>("--bootstrap") { Description = "Multiaddrs (with /p2p/ID) of swarm members; blocks then run on the swarm's providers", DefaultValueFactory = _ => [], AllowMultipleArgumentsPerToken = true };
        var modelId = new Option<string?>("--model-id") { Description = "Name of the model in the swarm (default: the model directory's name)" };
        var maxNewTokens = new Option<int>("--max-new-tokens") { Description = "Tokens to generate at most", DefaultValueFactory = _ => 32 };
        var temperature = new Option<double>("--temperature") { Description = "0 = greedy; otherwise sample at this temperature", DefaultValueFactory = _ => 0 };
        var topK = new Option<int>("--top-k") { Description = "Sample among the k most likely tokens (0 = all)", DefaultValueFactory = _ => 0 };
        var topP = new Option<double>("--top-p") { Description = "Sample within this cumulative probability (1 = all)", DefaultValueFactory = _ => 1.0 };
        var seed = new Option<int?>("--seed") { Description = "Seed for reproducible sampling" };
        var dtype = CommonOptions.DType();
        var quant = CommonOptions.Quant();
        var command = new Command("generate", "Generate text with a model")
        {
            model, prompt, local, bootstrap, modelId, maxNewTokens, temperature, topK, topP, seed, dtype, quant,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            var settings = settingsFor(result.GetValue(config));
            var bootstrapAddresses = settings.Get(result, bootstrap);
            if (!settings.Get(result, local) && bootstrapAddresses.Length == 0)
                throw new UserErrorException("say where the blocks run: --bootstrap MULTIADDR to use the swarm, or --local to run every block in this process");
            var options = new GenerationOptions
            {
                MaxNewTokens = settings.Get(result, maxNewTokens),
                Sampling = new SamplingOptions
                {
                    Temperature = settings.Get(result, temperature),
                    TopK = settings.Get(result, topK),
                    TopP = settings.Get(result, topP),
                    Seed = settings.Get(result, seed),
                },
            };
            try
            {
                options.Sampling.Validate();
            }
            catch (ArgumentOutOfRangeException e)
            {
                throw new UserErrorException(e.Message);
            }
            var directory = DefaultModel.Resolve(settings.Get(result, model), Console.Error);
            var loadOptions = CommonOptions.LoadOptions(settings.Get(result, dtype), settings.Get(result, quant));
            await using var backend = bootstrapAddresses.Length > 0 && !settings.Get(result, local)
                ? await GenerationBackend.SwarmAsync(directory, settings.Get(result, modelId), bootstrapAddresses, loadOptions, cancellationToken)
                : GenerationBackend.Local(directory, loadOptions);
            var tokenizer = Tokenizer.Load(Path.Combine(directory, Checkpoint.TokenizerFile));
            options = options with { StopTokenIds = tokenizer.EndOfSequenceIds(backend.Head.Config) };
            var promptIds = tokenizer.Encode(settings.Get(result, prompt), addSpecialTokens: true);
            Console.Write(settings.Get(result, prompt));
            var decoder = tokenizer.CreateStreamingDecoder();
            await foreach (var token in new TextGenerator(backend.Head, backend.Pipeline).GenerateAsync(promptIds, options, cancellationToken))
                Console.Write(decoder.Add(token));
            Console.WriteLine(decoder.Flush());
        });
        return command;
    }
}
