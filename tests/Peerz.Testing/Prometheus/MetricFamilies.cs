namespace Peerz.Testing.Prometheus;

/// <summary>
/// What dashboards and alerts depend on in an exposition: each family's name, type and label names (a histogram's
/// <c>le</c> left out), one line each ("name type label,label"), sorted. Label names are known only from series: a
/// family listed with its TYPE but no series yet (e.g. a labelled counter before its first increment) has none.
/// </summary>
public sealed record MetricFamily(string Name, string Type, IReadOnlyList<string>? LabelNames)
{
    public override string ToString() => LabelNames is { Count: > 0 } labels ? $"{Name} {Type} {string.Join(",", labels)}" : $"{Name} {Type}";

    /// <summary>The families of <paramref name="text"/>; a sample without a TYPE line counts as an untyped family of its own name.</summary>
    public static IReadOnlyList<MetricFamily> Of(PrometheusText text)
    {
        var families = new SortedDictionary<string, (string Type, SortedSet<string>? Labels)>(StringComparer.Ordinal);
        foreach (var (name, type) in text.Types) families[name] = (type, null);
        foreach (var sample in text.Samples)
        {
            var name = FamilyName(text, sample.Name);
            var (type, labels) = families.GetValueOrDefault(name, ("untyped", null));
            labels ??= new SortedSet<string>(StringComparer.Ordinal);
            labels.UnionWith(sample.Labels.Keys.Where(l => !(type == "histogram" && l == "le")));
            families[name] = (type, labels);
        }
        return [.. families.Select(f => new MetricFamily(f.Key, f.Value.Type, f.Value.Labels?.ToList()))];
    }

    private static string FamilyName(PrometheusText text, string sample)
    {
        foreach (var suffix in new[] { "_bucket", "_sum", "_count" })
        {
            if (sample.EndsWith(suffix, StringComparison.Ordinal) && text.Types.GetValueOrDefault(sample[..^suffix.Length]) == "histogram")
                return sample[..^suffix.Length];
        }
        return sample;
    }
}
