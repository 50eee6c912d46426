namespace Peerz.Model.Tiny;

/// <summary>
/// SplitMix64 with Box–Muller normals: a generator whose output is fixed by its seed alone, on every
/// platform and .NET version, so a tiny checkpoint is byte-identical wherever it is generated.
/// </summary>
public sealed class DeterministicRandom(ulong seed)
{
    private ulong _state = seed;
    private double? _spareNormal;

    public ulong NextUInt64()
    {
        var z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in (0, 1): 53 random bits, never exactly 0 (log is taken of it).</summary>
    public double NextDouble() => ((NextUInt64() >> 11) + 0.5) / (1UL << 53);

    public double NextNormal()
    {
        if (_spareNormal is { } spare)
        {
            _spareNormal = null;
            return spare;
        }
        var radius = Math.Sqrt(-2 * Math.Log(NextDouble()));
        var angle = 2 * Math.PI * NextDouble();
        _spareNormal = radius * Math.Sin(angle);
        return radius * Math.Cos(angle);
    }

    public float[] Normal(long count, double std, double mean = 0)
    {
        var values = new float[count];
        for (long i = 0; i < count; i++) values[i] = (float)(mean + std * NextNormal());
        return values;
    }
}
