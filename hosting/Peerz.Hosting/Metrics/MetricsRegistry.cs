using System.Text;

namespace Peerz.Hosting.Metrics;

/// <summary>
/// The metrics one process exposes on /metrics. Registering a name again with the same type and
/// labels returns the existing metric, so independent components (payments, verifier, serving)
/// can each ask for the counters they increment; a clash of type or labels is a programming error.
/// </summary>
public sealed class MetricsRegistry
{
    private readonly Dictionary<string, IMetricFamily> _families = new(StringComparer.Ordinal);
    private readonly object _lock = new();

    public Counter Counter(string name, string help, params string[] labelNames) =>
        GetOrAdd(name, labelNames, () => new Counter(name, help, labelNames));

    public Gauge Gauge(string name, string help, params string[] labelNames) =>
        GetOrAdd(name, labelNames, () => new Gauge(name, help, labelNames));

    public Histogram Histogram(string name, string help, IReadOnlyList<double> bounds, params string[] labelNames)
    {
        var histogram = GetOrAdd(name, labelNames, () => new Histogram(name, help, bounds, labelNames));
        if (!histogram.Bounds.SequenceEqual(bounds)) throw new ArgumentException($"{name} is already registered with other buckets");
        return histogram;
    }

    /// <summary>Every metric in the text exposition format, in the order registered.</summary>
    public string Export()
    {
        IMetricFamily[] families;
        lock (_lock) families = [.. _families.Values];
        var output = new StringBuilder();
        foreach (var family in families) family.WriteTo(output);
        return output.ToString();
    }

    private T GetOrAdd<T>(string name, IReadOnlyList<string> labelNames, Func<T> create) where T : class, IMetricFamily
    {
        lock (_lock)
        {
            // A histogram's series are name_bucket, name_sum and name_count: those names are taken too.
            if (_families.TryGetValue(name, out var existing))
            {
                if (existing is T same && same.LabelNames.SequenceEqual(labelNames)) return same;
                throw new ArgumentException($"{name} is already registered as a {existing.Type} with labels ({string.Join(", ", existing.LabelNames)})");
            }
            var clash = _families.Values.FirstOrDefault(f => SeriesNames(f.Name, f.Type).Intersect(SeriesNames(name, typeof(T) == typeof(Histogram) ? "histogram" : "")).Any());
            if (clash is not null) throw new ArgumentException($"{name} collides with the series of {clash.Name}");
            var family = create();
            _families.Add(name, family);
            return family;
        }
    }

    private static IEnumerable<string> SeriesNames(string name, string type) =>
        type == "histogram" ? [name, name + "_bucket", name + "_sum", name + "_count"] : [name];
}
