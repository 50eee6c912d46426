using System.Text;

namespace Peerz.Hosting.Metrics;

/// <summary>A value that only goes up (Prometheus type counter); names conventionally end in _total.</summary>
public sealed class Counter(string name, string help, IReadOnlyList<string> labelNames) : MetricFamily<Counter.Child>(name, help, labelNames)
{
    public override string Type => "counter";

    /// <summary>Adds to the unlabelled series (only for a counter without labels).</summary>
    public void Inc(double amount = 1) => WithLabels().Inc(amount);

    protected override Child CreateChild() => new();

    protected override void WriteChild(StringBuilder output, LabelValues labels, Child child) => WriteSample(output, Name, labels, child.Value);

    public sealed class Child
    {
        private readonly AtomicDouble _value = new();

        public double Value => _value.Value;

        public void Inc(double amount = 1)
        {
            if (!(amount >= 0)) throw new ArgumentOutOfRangeException(nameof(amount), amount, "a counter only increases");
            _value.Add(amount);
        }
    }
}
