using System.Globalization;
using System.Text;

namespace Peerz.Hosting.Metrics;

/// <summary>
/// Observations counted in cumulative buckets (Prometheus type histogram): per series the lines
/// name_bucket{le="..."} for each upper bound and +Inf, name_sum and name_count.
/// </summary>
public sealed class Histogram : MetricFamily<Histogram.Child>
{
    /// <summary>Latency buckets in seconds, from 1 ms to 30 s.</summary>
    public static readonly IReadOnlyList<double> DefaultSecondsBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

    private readonly double[] _bounds;

    public Histogram(string name, string help, IReadOnlyList<double> bounds, IReadOnlyList<string> labelNames) : base(name, help, labelNames)
    {
        if (bounds.Count == 0 || bounds.Any(b => !double.IsFinite(b)) || bounds.Zip(bounds.Skip(1)).Any(p => p.First >= p.Second))
            throw new ArgumentException($"{name}: bucket bounds must be finite and strictly increasing", nameof(bounds));
        _bounds = [.. bounds];
    }

    public override string Type => "histogram";

    public IReadOnlyList<double> Bounds => _bounds;

    /// <summary>Observes into the unlabelled series (only for a histogram without labels).</summary>
    public void Observe(double value) => WithLabels().Observe(value);

    protected override Child CreateChild() => new(_bounds);

    protected override bool ReservedLabel(string label) => label == "le";

    protected override void WriteChild(StringBuilder output, LabelValues labels, Child child)
    {
        var (buckets, sum, count) = child.Snapshot();
        long cumulative = 0;
        for (var i = 0; i < _bounds.Length; i++)
        {
            cumulative += buckets[i];
            WriteSample(output, Name + "_bucket", labels, cumulative, ("le", _bounds[i].ToString("R", CultureInfo.InvariantCulture)));
        }
        WriteSample(output, Name + "_bucket", labels, count, ("le", "+Inf"));
        WriteSample(output, Name + "_sum", labels, sum);
        WriteSample(output, Name + "_count", labels, count);
    }

    public sealed class Child(double[] bounds)
    {
        private readonly long[] _buckets = new long[bounds.Length];
        private readonly object _lock = new();
        private double _sum;
        private long _count;

        public void Observe(double value)
        {
            if (double.IsNaN(value)) throw new ArgumentOutOfRangeException(nameof(value), "cannot observe NaN");
            var index = Array.BinarySearch(bounds, value);
            if (index < 0) index = ~index; // the first bound >= value; bounds.Length means only +Inf
            // One lock keeps buckets, sum and count consistent within a scrape.
            lock (_lock)
            {
                if (index < _buckets.Length) _buckets[index]++;
                _sum += value;
                _count++;
            }
        }

        public (long[] Buckets, double Sum, long Count) Snapshot()
        {
            lock (_lock) return ([.. _buckets], _sum, _count);
        }
    }
}
