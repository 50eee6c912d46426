namespace Peerz.Model.Generation;

/// <summary>Counts of one or more speculative generations: verification steps, tokens drafted and drafts accepted.</summary>
public sealed class SpeculativeStatistics
{
    public int Steps { get; private set; }

    public int Drafted { get; private set; }

    public int Accepted { get; private set; }

    /// <summary>Accepted drafts over drafted tokens (0 when nothing was drafted).</summary>
    public double AcceptanceRate => Drafted == 0 ? 0 : (double)Accepted / Drafted;

    /// <summary>Adds another generation's counts, e.g. to report over several prompts.</summary>
    public void Add(SpeculativeStatistics other)
    {
        Steps += other.Steps;
        Drafted += other.Drafted;
        Accepted += other.Accepted;
    }

    internal void Record(int drafted, int accepted)
    {
        Steps++;
        Drafted += drafted;
        Accepted += accepted;
    }
}
