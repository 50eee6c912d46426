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

    public bool IsGreedy => _options.Temperature == 0;

    public int Next(ReadOnlySpan<float> logits)
    {
        if (logits.IsEmpty) throw new ArgumentException("logits are empty", nameof(logits));
        return IsGreedy ? ArgMax(logits) : Sample(Probabilities(logits));
    }

    /// <summary>
    /// The distribution <see cref="Next"/> samples from (temperature, then top-k, then top-p, renormalised), over
    /// the whole vocabulary with zeros where the filters cut. Only for sampling (temperature above 0).
    /// </summary>
    public double[] Probabilities(ReadOnlySpan<float> logits)
    {
        if (IsGreedy) throw new InvalidOperationException("greedy decoding has no sampling distribution");
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
        var probabilities = new double[logits.Length];
        for (var i = 0; i < kept; i++) probabilities[order[i]] = weights[i] / keptTotal;
        return probabilities;
    }

    /// <summary>Draws an index with the given (non-negative, not necessarily normalised) weights.</summary>
    public int Sample(ReadOnlySpan<double> weights)
    {
        double total = 0;
        var last = -1;
        for (var i = 0; i < weights.Length; i++)
        {
            total += weights[i];
            if (weights[i] > 0) last = i;
        }
        if (last < 0) throw new ArgumentException("no index has a positive weight", nameof(weights));
        var target = _random.NextDouble() * total;
        for (var i = 0; i < last; i++)
        {
            target -= weights[i];
            if (target < 0 && weights[i] > 0) return i;
        }
        return last;
    }

    /// <summary>A uniform draw in [0, 1) from this sampler's random stream (speculative acceptance tests).</summary>
    public double Uniform() => _random.NextDouble();

    public static int ArgMax(ReadOnlySpan<float> logits)
    {
        var best = 0;
        for (var i = 1; i < logits.Length; i++)
            if (logits[i] > logits[best]) best = i;
        return best;
    }
}
