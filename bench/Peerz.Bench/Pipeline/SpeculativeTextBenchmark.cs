using System.Globalization;
using Peerz.Model;
using Peerz.Model.Blocks;
using Peerz.Model.Checkpoints;
using Peerz.Model.Generation;
using Peerz.Model.Tiny;
using Peerz.Model.Tokenization;
using Peerz.Node.Serving;
using Peerz.Testing;

namespace Peerz.Bench.Pipeline;

/// <summary>
/// Speculative decoding where drafts can be right: the trained default model (docs/models.md) continuing story
/// openings it never saw, through three providers with server-to-server push over emulated links. In the same run and
/// on the same push pipeline: plain one-token steps (a drafter that drafts nothing) against the n-gram drafter at
/// k = 4 and 8, and, given a draft model (a smaller shape trained by <c>peerz model train-tiny</c> with the same seed,
/// hence the same tokenizer), the draft model at k = 4 and 8. Every speculative generation is checked to equal plain
/// greedy generation in one process. The pipeline benchmark's model has random weights, whose output no drafter can
/// predict.
/// </summary>
public static class SpeculativeTextBenchmark
{
    private const int Providers = 3;

    public static async Task RunAsync(string[] args)
    {
        int Arg(int index, int fallback) => args.Length > index ? int.Parse(args[index], CultureInfo.InvariantCulture) : fallback;
        var newTokens = Arg(0, 48);
        var rounds = Arg(1, 3);
        var draftDirectory = args.Length > 2 ? args[2] : null;
        var directory = TempDirectory.Create("bench-default-model");
        try
        {
            TrainedTinyModel.WriteTo(directory);
            using var draft = draftDirectory is null ? null : LocalModel.Load(draftDirectory);
            await RunAsync(directory, draft, newTokens, rounds);
        }
        finally
        {
            TempDirectory.Delete(directory);
        }
    }

    private static async Task RunAsync(string directory, LocalModel? draft, int newTokens, int rounds)
    {
        using var local = LocalModel.Load(directory);
        var tokenizer = Tokenizer.Load(Path.Combine(directory, Checkpoint.TokenizerFile));
        // Openings of stories from a seed the model never trained on (training used 42, its held-out text 43).
        var prompts = StoryCorpus.Generate(2026, 4_000).Split("\n\n").Take(4)
            .Select(story => tokenizer.Encode(string.Join(". ", story.Split(". ").Take(2)) + ".", addSpecialTokens: true)).ToArray();
        Console.WriteLine($"model: the trained default ({local.Head.Config.NumLayers} blocks, hidden {local.Head.Config.HiddenSize}); {prompts.Length} prompts of {prompts.Min(p => p.Length)}–{prompts.Max(p => p.Length)} tokens, {newTokens} new tokens each, greedy, best of {rounds} rounds");

        using var checkpoint = Checkpoint.Open(directory);
        var layers = local.Head.Config.NumLayers;
        var spans = Enumerable.Range(0, Providers)
            .Select(i => new ServedSpan("bench", BlockSpan.Load(checkpoint, i * layers / Providers, (i + 1) * layers / Providers), new ServingLimits()))
            .ToList();
        foreach (var span in spans) span.MeasureThroughput(16);
        var links = new (string Name, TimeSpan RoundTrip, double BitsPerSecond)[] { ("1 Gbit/s, 5 ms RTT", TimeSpan.FromMilliseconds(5), 1e9), ("100 Mbit/s, 100 ms RTT", TimeSpan.FromMilliseconds(100), 100e6) };
        var swarms = new List<PushSwarm>();
        try
        {
            var setups = new List<(string Name, PushSwarm Swarm, Func<IDrafter> Drafter, int K)>();
            foreach (var link in links)
            {
                var swarm = await PushSwarm.StartAsync(spans, layers, link.RoundTrip, link.BitsPerSecond);
                swarms.Add(swarm);
                setups.Add(($"{link.Name}, push, plain steps", swarm, () => (IDrafter)new NoDrafter(), 1));
                setups.Add(($"{link.Name}, push + speculative (n-gram, k = 4)", swarm, () => (IDrafter)new NGramDrafter(), 4));
                setups.Add(($"{link.Name}, push + speculative (n-gram, k = 8)", swarm, () => (IDrafter)new NGramDrafter(), 8));
                if (draft is null) continue;
                var draftShape = $"{draft.Head.Config.NumLayers} blocks, hidden {draft.Head.Config.HiddenSize}";
                foreach (var k in new[] { 4, 8 })
                    setups.Add(($"{link.Name}, push + speculative (draft model: {draftShape}, k = {k})", swarm, () => new DraftModelDrafter(draft.Head, draft.Pipeline, local.Head.Config.VocabSize), k));
            }
            var setupsPerLink = setups.Count / links.Length;

            var plainTokens = new List<IReadOnlyList<int>>();
            foreach (var prompt in prompts) plainTokens.Add(await local.CreateGenerator().GenerateAsync(prompt, new GenerationOptions { MaxNewTokens = newTokens }).ToListAsync());
            var best = setups.Select(_ => (Decode: 0.0, Accepted: 0, Drafted: 0, Steps: 0)).ToArray();
            for (var round = 0; round <= rounds; round++)
            {
                for (var i = 0; i < setups.Count; i++)
                {
                    // One figure per round: tokens decoded over decode time, summed over the prompts.
                    double tokens = 0, seconds = 0;
                    int accepted = 0, drafted = 0, steps = 0;
                    for (var p = 0; p < prompts.Length; p++)
                    {
                        var result = await SpeculativeTiming.TimeAsync(local.Head, setups[i].Swarm.Pipeline, setups[i].Drafter(), prompts[p], newTokens, setups[i].K);
                        if (!result.Tokens.SequenceEqual(plainTokens[p]))
                            throw new InvalidOperationException($"{setups[i].Name}: prompt {p} generated other tokens than plain greedy generation in one process");
                        tokens += result.DecodedTokens;
                        seconds += result.DecodeSeconds;
                        (accepted, drafted, steps) = (accepted + result.Statistics.Accepted, drafted + result.Statistics.Drafted, steps + result.Statistics.Steps);
                    }
                    var rate = tokens / seconds;
                    Console.Error.WriteLine($"round {round}{(round == 0 ? " (warm-up)" : "")}: {setups[i].Name}: decode {rate:F2} tokens/s, {accepted}/{drafted} drafts accepted, {steps} steps");
                    if (round > 0 && rate > best[i].Decode) best[i] = (rate, accepted, drafted, steps);
                }
            }

            Console.WriteLine();
            Console.WriteLine("| setup | decode tokens/s | × plain steps on the same link | acceptance | tokens per step |");
            Console.WriteLine("|---|---|---|---|---|");
            for (var i = 0; i < setups.Count; i++)
            {
                var plain = best[i - (i % setupsPerLink)].Decode;
                var b = best[i];
                var acceptance = b.Drafted == 0 ? "–" : $"{(double)b.Accepted / b.Drafted:P0}";
                Console.WriteLine($"| {setups[i].Name} | {b.Decode:F2} | {b.Decode / plain:F2} | {acceptance} | {(double)(b.Accepted + b.Steps) / b.Steps:F2} |");
            }
        }
        finally
        {
            foreach (var swarm in swarms) await swarm.DisposeAsync();
            foreach (var span in spans) span.Dispose();
        }
    }
}
