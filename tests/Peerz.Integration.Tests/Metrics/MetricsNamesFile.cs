using Peerz.Testing.Prometheus;

namespace Peerz.Integration.Tests.Metrics;

/// <summary>
/// metrics-names.txt: the metric families each process serves on /metrics, recorded from the hand-written registry
/// before metrics moved to System.Diagnostics.Metrics and OpenTelemetry's Prometheus exporter. Sections ([provider],
/// [gateway], [verifier]) hold one "name type label,label" line per family; '#' starts a comment.
/// </summary>
public static class MetricsNamesFile
{
    public static string Path => System.IO.Path.Combine(RepositoryRoot.Path, "tests", "Peerz.Integration.Tests", "Metrics", "metrics-names.txt");

    /// <summary>
    /// Checks a scrape against the section for <paramref name="process"/>: the same family names with the same types, and
    /// the same label names wherever the scrape shows series (a family without series yet shows no label names).
    /// </summary>
    public static void AssertMatches(string process, string exposition)
    {
        var expected = Section(process).ToDictionary(f => f.Name);
        var scraped = MetricFamily.Of(PrometheusText.Parse(exposition));
        var differences = new List<string>();
        foreach (var family in scraped)
        {
            if (!expected.TryGetValue(family.Name, out var recorded)) differences.Add($"not recorded: {family}");
            else if (recorded.Type != family.Type || (family.LabelNames is not null && !family.LabelNames.SequenceEqual(recorded.LabelNames ?? [])))
                differences.Add($"recorded as '{recorded}', served as '{family}'");
        }
        differences.AddRange(expected.Keys.Except(scraped.Select(f => f.Name)).Select(name => $"missing: {expected[name]}"));
        Assert.True(differences.Count == 0,
            $"/metrics of {process} differs from {Path}:\n  {string.Join("\n  ", differences)}\nserved:\n{string.Join("\n", scraped)}\n\n{exposition}");
    }

    private static IReadOnlyList<MetricFamily> Section(string process)
    {
        var families = new List<MetricFamily>();
        var inSection = false;
        foreach (var raw in File.ReadAllLines(Path))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            if (line.StartsWith('['))
            {
                inSection = line == $"[{process}]";
                continue;
            }
            if (!inSection) continue;
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            families.Add(new MetricFamily(parts[0], parts[1], parts.Length > 2 ? parts[2].Split(',') : []));
        }
        return families.Count > 0 ? families : throw new InvalidOperationException($"{Path} has no section [{process}]");
    }
}
