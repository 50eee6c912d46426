using System.Diagnostics.Metrics;

namespace Peerz.Hosting.Metrics;

/// <summary>The bucket bounds of every latency histogram: seconds, from 1 ms to 30 s (the bounds the hand-written registry used).</summary>
public static class LatencyBuckets
{
    public static readonly IReadOnlyList<double> Seconds = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

    /// <summary>A histogram in seconds with these bounds.</summary>
    public static Histogram<double> CreateSecondsHistogram(this Meter meter, string name, string description) =>
        meter.CreateHistogram(name, unit: "s", description: description, tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = Seconds });
}
