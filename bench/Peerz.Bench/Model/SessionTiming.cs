using System.Diagnostics;
using Peerz.Model.Blocks;
using static TorchSharp.torch;

namespace Peerz.Bench.Model;

/// <summary>One inference session through a span: the prompt in one step (prefill), then single-token steps (decode).</summary>
internal static class SessionTiming
{
    /// <param name="prompt">[1, prompt length, hidden].</param>
    /// <param name="token">[1, 1, hidden], fed at every decode step.</param>
    /// <returns>Seconds for the prefill step and per decode step.</returns>
    public static (double PrefillSeconds, double DecodeSecondsPerToken) Measure(BlockSpan span, Tensor prompt, Tensor token, int decodeSteps)
    {
        var length = checked((int)prompt.shape[1] + decodeSteps);
        using var session = span.OpenSession(1, length, new KvCacheBudget(span.CacheBytes(1, length)));
        var stopwatch = Stopwatch.StartNew();
        session.Step(prompt).Dispose();
        var prefill = stopwatch.Elapsed.TotalSeconds;
        stopwatch.Restart();
        for (var i = 0; i < decodeSteps; i++) session.Step(token).Dispose();
        return (prefill, stopwatch.Elapsed.TotalSeconds / decodeSteps);
    }
}
