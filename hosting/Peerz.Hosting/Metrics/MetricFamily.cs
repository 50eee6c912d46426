using System.Collections.Concurrent;
using System.Text;

namespace Peerz.Hosting.Metrics;

/// <summary>
/// One metric name with its HELP, TYPE and label names, and a child per combination of label
/// values (created on first use). The number of children is bounded so that label values taken
/// from untrusted input can never grow memory without limit.
/// </summary>
public abstract class MetricFamily<TChild> : IMetricFamily where TChild : class
{
    /// <summary>Combinations of label values one family may hold.</summary>
    public const int MaxChildren = 1000;

    private readonly ConcurrentDictionary<LabelValues, TChild> _children = new();
    private readonly object _createLock = new();

    protected MetricFamily(string name, string help, IReadOnlyList<string> labelNames)
    {
        if (!TextFormat.IsMetricName(name)) throw new ArgumentException($"'{name}' is not a valid metric name", nameof(name));
        foreach (var label in labelNames)
            if (!TextFormat.IsLabelName(label) || ReservedLabel(label)) throw new ArgumentException($"'{label}' is not a valid label name for {name}", nameof(labelNames));
        if (labelNames.Distinct().Count() != labelNames.Count) throw new ArgumentException($"{name} repeats a label name", nameof(labelNames));
        Name = name;
        Help = help;
        LabelNames = labelNames;
    }

    public string Name { get; }

    public string Help { get; }

    public abstract string Type { get; }

    public IReadOnlyList<string> LabelNames { get; }

    /// <summary>The child for these label values, in the order of <see cref="LabelNames"/>.</summary>
    public TChild WithLabels(params string[] values)
    {
        if (values.Length != LabelNames.Count)
            throw new ArgumentException($"{Name} takes {LabelNames.Count} label values ({string.Join(", ", LabelNames)}), not {values.Length}");
        var key = new LabelValues(values);
        if (_children.TryGetValue(key, out var child)) return child;
        lock (_createLock)
        {
            if (_children.TryGetValue(key, out child)) return child;
            if (_children.Count >= MaxChildren)
                throw new InvalidOperationException($"{Name} already has {MaxChildren} label combinations");
            return _children[key] = CreateChild();
        }
    }

    public void WriteTo(StringBuilder output)
    {
        output.Append("# HELP ").Append(Name).Append(' ').Append(TextFormat.EscapeHelp(Help)).Append('\n');
        output.Append("# TYPE ").Append(Name).Append(' ').Append(Type).Append('\n');
        // A metric without labels has exactly one series, reported (as 0) before its first use.
        if (LabelNames.Count == 0) WithLabels();
        // Sorted so that successive scrapes list series in the same order.
        foreach (var (labels, child) in _children.OrderBy(c => c.Key))
            WriteChild(output, labels, child);
    }

    protected abstract TChild CreateChild();

    protected abstract void WriteChild(StringBuilder output, LabelValues labels, TChild child);

    /// <summary>Names a subclass adds to its own samples (e.g. a histogram's "le").</summary>
    protected virtual bool ReservedLabel(string label) => false;

    protected void WriteSample(StringBuilder output, string name, LabelValues labels, double value, (string Name, string Value)? extra = null)
    {
        output.Append(name);
        if (LabelNames.Count > 0 || extra is not null)
        {
            output.Append('{');
            var first = true;
            for (var i = 0; i < LabelNames.Count; i++)
            {
                if (!first) output.Append(',');
                output.Append(LabelNames[i]).Append("=\"").Append(TextFormat.EscapeLabelValue(labels.Values[i])).Append('"');
                first = false;
            }
            if (extra is { } e)
            {
                if (!first) output.Append(',');
                output.Append(e.Name).Append("=\"").Append(TextFormat.EscapeLabelValue(e.Value)).Append('"');
            }
            output.Append('}');
        }
        output.Append(' ').Append(TextFormat.FormatValue(value)).Append('\n');
    }
}
