using System.CommandLine;
using Microsoft.Extensions.Logging;
using Peerz.Client.Training;
using Peerz.Hosting;
using Peerz.Hosting.Chain;
using Peerz.Model;
using Peerz.Model.Adapters;
using Peerz.Model.Checkpoints;
using Peerz.Model.Generation;
using Peerz.Model.Tokenization;

namespace Peerz.Cli.Commands;

/// <summary>`peerz generate`: stream generated text to stdout.</summary>
public static class GenerateCommand
{
    public static Command Create(Func<string?, LayeredSettings> settingsFor, Option<string?> config)
    {
        var backendOptions = new BackendOptions();
        var speculativeOptions = new SpeculativeOptions();
        var prompt = new Option<string>("--prompt") { Description = "Text to continue", Required = true };
        var maxNewTokens = new Option<int>("--max-new-tokens") { Description = "Tokens to generate at most", DefaultValueFactory = _ => 32 };
        var temperature = new Option<double>("--temperature") { Description = "0 = greedy; otherwise sample at this temperature", DefaultValueFactory = _ => 0 };
        var topK = new Option<int>("--top-k") { Description = "Sample among the k most likely tokens (0 = all)", DefaultValueFactory = _ => 0 };
        var topP = new Option<double>("--top-p") { Description = "Sample within this cumulative probability (1 = all)", DefaultValueFactory = _ => 1.0 };
        var seed = new Option<int?>("--seed") { Description = "Seed for reproducible sampling" };
        var softPrompts = new Option<string?>("--prompts") { Description = "Soft prompts trained by `peerz finetune` (a .safetensors file)" };
        var adapterOption = new Option<string?>("--adapter") { Description = "A LoRA adapter directory in PEFT's layout (adapter_config.json, adapter_model.safetensors), e.g. from `peerz finetune --method lora`" };
        var command = new Command("generate", "Generate text with a model")
        {
            prompt, maxNewTokens, temperature, topK, topP, seed, softPrompts, adapterOption,
        };
        backendOptions.AddTo(command);
        speculativeOptions.AddTo(command);
        command.SetAction(async (result, cancellationToken) =>
        {
            var settings = settingsFor(result.GetValue(config));
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
            // stdout carries only the generated text; with --verbose, what the swarm client does (discovery, dials, relays, hole punching, reroutes) goes to stderr.
            using var logging = CliLogging.IsVerbose(settings, result) ? CliLogging.Create(settings, result, LogLevel.Debug) : null;
            var (backend, _, directory) = await backendOptions.OpenAsync(settings, result, cancellationToken, logging);
            await using var disposeBackend = backend;
            var tokenizer = Tokenizer.Load(Path.Combine(directory, Checkpoint.TokenizerFile));
            options = options with { StopTokenIds = tokenizer.EndOfSequenceIds(backend.Head.Config) };
            var loadOptions = ModelOptions.LoadOptions(settings.Get(result, backendOptions.DType), settings.Get(result, backendOptions.Quant));
            using var speculative = speculativeOptions.Resolve(settings, result, backend.Head, directory, loadOptions);
            var promptIds = tokenizer.Encode(settings.Get(result, prompt), addSpecialTokens: true);
            using var prompts = settings.Get(result, softPrompts) is { } promptsFile ? SoftPrompts.Load(promptsFile, backend.Head.Config) : null;
            using var adapter = settings.Get(result, adapterOption) is { } adapterDirectory ? AdapterDirectories.Load(adapterDirectory, backend.Head.Config, "--adapter") : null;
            if (adapter is not null && prompts is not null) throw new UserErrorException("--adapter cannot be combined with --prompts");
            IBlockPipeline pipeline = adapter is not null ? new AdaptedPipeline(backend.Pipeline, adapter)
                : prompts is null ? backend.Pipeline : new PromptedPipeline(backend.Pipeline, prompts);
            // Tuned sessions roll back like any other: the drafter runs on the base model, the verification steps apply the
            // adapter or prompts (so the tokens are the tuned model's), and soft prompts' positions are never rolled back.
            var generator = speculative is null ? null : new SpeculativeGenerator(backend.Head, pipeline, speculative.Drafter, speculative.DraftTokens);
            var tokens = generator is null
                ? new TextGenerator(backend.Head, pipeline).GenerateAsync(promptIds, options, cancellationToken)
                : generator.GenerateAsync(promptIds, options, cancellationToken);
            var decoder = tokenizer.CreateStreamingDecoder();
            // The prompt is echoed with the first token: the "route:" line (stderr) is printed while the first step opens the
            // sessions, and would otherwise land in the middle of the prompt's line.
            var unechoed = settings.Get(result, prompt);
            await foreach (var token in tokens)
            {
                Console.Write(unechoed + decoder.Add(token));
                unechoed = "";
            }
            Console.WriteLine(unechoed + decoder.Flush());
            if (generator is not null)
            {
                var statistics = generator.Statistics;
                Console.Error.WriteLine($"speculative ({speculative!.Name}, {speculative.DraftTokens} drafts per step): acceptance {statistics.AcceptanceRate:P0} " +
                    $"({statistics.Accepted} of {statistics.Drafted} drafts), {statistics.Steps} steps");
            }
            if (!backend.Paid.IsZero) Console.Error.WriteLine($"paid {PrzAmount.Format(backend.Paid)} PRZ");
        });
        return command;
    }
}
