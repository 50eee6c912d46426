namespace Peerz.Model.Generation;

/// <summary>Picks the next token from one row of logits: greedy, or temperature + top-k + top-p sampling.</summary>
public sealed class TokenSampler
{
    private readonly SamplingOptions _options;
    private readonly Random _random;

    public TokenSampler(SamplingOptions options)
    {
        options.Validate();
        _options = options;
        _random = options.Seed is { } seed ? new Random(seed) : new Random();
    }

    public int Next(ReadOnlySpan<float> logits)
    {
        if (logits.IsEmpty) throw new ArgumentException("logits are empty", nameof(logits));
        if (_options.Temperature == 0) return ArgMax(logits);

        // Candidates sorted by logit, cut by top-k, then by cumulative probability (top-p).
        var order = Enumerable.Range(0, logits.Length).ToArray();
        var values = logits.ToArray();
        Array.Sort(values.Select(v => -v).ToArray(), order);
        var count = _options.TopK > 0 ? Math.Min(_options.TopK, order.Length) : order.Length;
        var max = values[order[0]];
        var weights = new double[count];
        double total = 0;
        for (var i = 0; i < count; i++)
        {
            weights[i] = Math.Exp((values[order[i]] - max) / _options.Temperature);
            total += weights[i];
        }
        double cumulative = 0;
        var kept = count;
        for (var i = 0; i < count; i++)
        {
            cumulative += weights[i] / total;
            if (cumulative >= _options.TopP)
            {
                kept = i + 1;
                break;
            }
        }
        var keptTotal = weights.AsSpan(0, kept).ToArray().Sum();
        var target = _random.NextDouble() * keptTotal;
        for (var i = 0; i < kept; i++)
        {
            target -= weights[i];
            if (target < 0) return order[i];
        }
        return order[kept - 1];
    }

    public static int ArgMax(ReadOnlySpan<float> logits)
    {
        var best = 0;
        for (var i = 1; i < logits.Length; i++)
            if (logits[i] > logits[best]) best = i;
        return best;
    }
}
