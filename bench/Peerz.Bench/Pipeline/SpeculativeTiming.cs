using System.Diagnostics;
using Peerz.Model.Client;
using Peerz.Model.Generation;

namespace Peerz.Bench.Pipeline;

/// <summary>
/// Times greedy speculative generation through a pipeline: the first verification step (the prompt plus the first
/// drafts) stands for prefill, every later step is decode, and decode speed is tokens emitted after the first step
/// over the time they took — the figure comparable with plain decode's one token per step.
/// </summary>
public static class SpeculativeTiming
{
    public sealed record Result(double PrefillSeconds, double DecodeSeconds, int DecodedTokens, SpeculativeStatistics Statistics, IReadOnlyList<int> Tokens)
    {
        public double DecodeTokensPerSecond => DecodedTokens == 0 ? 0 : DecodedTokens / DecodeSeconds;
    }

    public static async Task<Result> TimeAsync(ClientHead head, IBlockPipeline pipeline, IDrafter drafter, IReadOnlyList<int> prompt, int newTokens, int draftTokens)
    {
        var generator = new SpeculativeGenerator(head, pipeline, drafter, draftTokens);
        var clock = Stopwatch.StartNew();
        double? prefill = null;
        var decoded = 0;
        var tokens = new List<int>();
        await foreach (var token in generator.GenerateAsync(prompt, new GenerationOptions { MaxNewTokens = newTokens }))
        {
            tokens.Add(token);
            // Statistics count a step before its tokens are emitted, so step 1's tokens arrive while Steps is 1.
            if (generator.Statistics.Steps == 1)
            {
                prefill ??= clock.Elapsed.TotalSeconds;
                continue;
            }
            decoded++;
        }
        var total = clock.Elapsed.TotalSeconds;
        return new Result(prefill!.Value, total - prefill.Value, decoded, generator.Statistics, tokens);
    }
}
