using System.Text;

namespace Peerz.Hosting.Metrics;

/// <summary>A value that goes up and down (Prometheus type gauge), set directly or read at scrape time.</summary>
public sealed class Gauge(string name, string help, IReadOnlyList<string> labelNames) : MetricFamily<Gauge.Child>(name, help, labelNames)
{
    public override string Type => "gauge";

    // The unlabelled series (only for a gauge without labels):

    public void Set(double value) => WithLabels().Set(value);

    public void Inc(double amount = 1) => WithLabels().Inc(amount);

    public void Dec(double amount = 1) => WithLabels().Dec(amount);

    public void SetFunction(Func<double> read) => WithLabels().SetFunction(read);

    protected override Child CreateChild() => new();

    protected override void WriteChild(StringBuilder output, LabelValues labels, Child child) => WriteSample(output, Name, labels, child.Read());

    public sealed class Child
    {
        private readonly AtomicDouble _value = new();
        private volatile Func<double>? _read;

        public void Set(double value) => _value.Set(value);

        public void Inc(double amount = 1) => _value.Add(amount);

        public void Dec(double amount = 1) => _value.Add(-amount);

        /// <summary>Reads the value from <paramref name="read"/> at every scrape instead (e.g. free cache bytes).</summary>
        public void SetFunction(Func<double> read) => _read = read;

        public double Read() => _read is { } read ? read() : _value.Value;
    }
}
