namespace Peerz.Hosting.Metrics;

/// <summary>A double that many threads add to without a lock (compare-and-swap on its bits).</summary>
internal sealed class AtomicDouble
{
    private double _value;

    public double Value => Volatile.Read(ref _value);

    public void Set(double value) => Interlocked.Exchange(ref _value, value);

    public void Add(double amount)
    {
        var current = Volatile.Read(ref _value);
        while (true)
        {
            var seen = Interlocked.CompareExchange(ref _value, current + amount, current);
            // Compare bits, not values: NaN never equals itself and would loop forever.
            if (BitConverter.DoubleToInt64Bits(seen) == BitConverter.DoubleToInt64Bits(current)) return;
            current = seen;
        }
    }
}
