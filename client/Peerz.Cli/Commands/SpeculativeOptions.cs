using System.CommandLine;
using Peerz.Hosting;
using Peerz.Model;
using Peerz.Model.Blocks;
using Peerz.Model.Checkpoints;
using Peerz.Model.Client;
using Peerz.Model.Generation;

namespace Peerz.Cli.Commands;

/// <summary>
/// `generate`'s speculative decoding options. Off by default: every drafted position is computed and paid for whether it
/// is accepted or not, so speculation trades money (and provider compute) for fewer network passes; it pays off on slow
/// links and predictable text. On, the n-gram (prompt-lookup) drafter is used unless --draft-model names a small model.
/// </summary>
public sealed class SpeculativeOptions
{
    private const int MaxDraftTokens = 32;

    public Option<bool> Speculative { get; } = new("--speculative")
    {
        Description = "Speculative decoding: draft tokens cheaply and have the model check them all in one step (greedy output is unchanged; rejected drafts are still paid). Default drafter: n-gram lookup in the context",
        DefaultValueFactory = _ => false,
    };

    public Option<string?> DraftModel { get; } = new("--draft-model") { Description = "A small model directory with the same tokenizer, run in this process to draft tokens (implies --speculative)" };

    public Option<int> DraftTokens { get; } = new("--draft-tokens") { Description = $"Tokens drafted per step, 1–{MaxDraftTokens}", DefaultValueFactory = _ => 4 };

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { Speculative, DraftModel, DraftTokens }) command.Options.Add(option);
    }

    /// <summary>The drafter and draft length, or null when speculation is off. Owns the draft model, if one is loaded.</summary>
    public Setup? Resolve(LayeredSettings settings, ParseResult result, ClientHead target, string targetDirectory, BlockLoadOptions loadOptions)
    {
        var draftDirectory = settings.Get(result, DraftModel);
        var draftTokens = settings.Get(result, DraftTokens);
        if (!settings.Get(result, Speculative) && draftDirectory is null) return null;
        if (draftTokens is < 1 or > MaxDraftTokens)
            throw new UserErrorException($"--draft-tokens must be between 1 and {MaxDraftTokens}, not {draftTokens}");
        if (draftDirectory is null) return new Setup(new NGramDrafter(), draftTokens, "n-gram", null);
        if (!File.Exists(Path.Combine(draftDirectory, Checkpoint.ConfigFile)))
            throw new UserErrorException($"--draft-model {draftDirectory}: no model there ({Checkpoint.ConfigFile} is missing)");
        if (!SameTokenizer(targetDirectory, draftDirectory))
            throw new UserErrorException($"--draft-model {draftDirectory}: its tokenizer differs from the model's; a draft model must share the tokenizer");
        var model = LocalModel.Load(draftDirectory, loadOptions);
        try
        {
            return new Setup(new DraftModelDrafter(model.Head, model.Pipeline, target.Config.VocabSize), draftTokens, $"draft model {Path.GetFileName(Path.GetFullPath(draftDirectory))}", model);
        }
        catch (ArgumentException e)
        {
            model.Dispose();
            throw new UserErrorException($"--draft-model {draftDirectory}: {e.Message}");
        }
    }

    /// <summary>Token ids mean the same in both models only if their tokenizer files are the same.</summary>
    private static bool SameTokenizer(string targetDirectory, string draftDirectory)
    {
        var target = Path.Combine(targetDirectory, Checkpoint.TokenizerFile);
        var draft = Path.Combine(draftDirectory, Checkpoint.TokenizerFile);
        if (!File.Exists(draft)) return false;
        return File.ReadAllBytes(target).AsSpan().SequenceEqual(File.ReadAllBytes(draft));
    }

    public sealed record Setup(IDrafter Drafter, int DraftTokens, string Name, LocalModel? DraftModel) : IDisposable
    {
        public void Dispose() => DraftModel?.Dispose();
    }
}
