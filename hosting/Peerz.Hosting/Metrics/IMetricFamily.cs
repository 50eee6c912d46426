using System.Text;

namespace Peerz.Hosting.Metrics;

/// <summary>What the registry needs of every metric: its identity and its lines of text.</summary>
public interface IMetricFamily
{
    string Name { get; }

    string Type { get; }

    IReadOnlyList<string> LabelNames { get; }

    /// <summary>Appends the HELP and TYPE lines and every sample.</summary>
    void WriteTo(StringBuilder output);
}
