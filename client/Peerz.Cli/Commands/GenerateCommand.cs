using Peerz.Hosting;
using System.CommandLine;
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
        var maxNewTokens = new Option<int>("--max-new-tokens") { Description = "Tokens to generate at most", DefaultValueFactory = _ => 32 };
        var temperature = new Option<double>("--temperature") { Description = "0 = greedy; otherwise sample at this temperature", DefaultValueFactory = _ => 0 };
        var topK = new Option<int>("--top-k") { Description = "Sample among the k most likely tokens (0 = all)", DefaultValueFactory = _ => 0 };
        var topP = new Option<double>("--top-p") { Description = "Sample within this cumulative probability (1 = all)", DefaultValueFactory = _ => 1.0 };
        var seed = new Option<int?>("--seed") { Description = "Seed for reproducible sampling" };
        var dtype = CommonOptions.DType();
        var quant = CommonOptions.Quant();
        var command = new Command("generate", "Generate text with a model")
        {
            model, prompt, local, maxNewTokens, temperature, topK, topP, seed, dtype, quant,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            var settings = settingsFor(result.GetValue(config));
            if (!settings.Get(result, local))
                throw new UserErrorException("generation through the swarm needs --bootstrap (not available yet); use --local to run every block in this process");
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
            var layers = Model.Configuration.ModelConfig.Load(Path.Combine(directory, Checkpoint.ConfigFile)).NumLayers;
            using var loaded = LocalModel.Load(directory, CommonOptions.LoadOptions(settings.Get(result, dtype), settings.Get(result, quant)),
                progress: new ConsoleProgress("loading blocks", layers));
            var tokenizer = Tokenizer.Load(Path.Combine(directory, Checkpoint.TokenizerFile));
            options = options with { StopTokenIds = tokenizer.EndOfSequenceIds(loaded.Checkpoint.Config) };
            var promptIds = tokenizer.Encode(settings.Get(result, prompt), addSpecialTokens: true);
            Console.Write(settings.Get(result, prompt));
            var decoder = tokenizer.CreateStreamingDecoder();
            await foreach (var token in loaded.CreateGenerator().GenerateAsync(promptIds, options, cancellationToken))
                Console.Write(decoder.Add(token));
            Console.WriteLine(decoder.Flush());
        });
        return command;
    }
}
