namespace Peerz.Model.Generation;

/// <summary>Temperature 0 means greedy. Top-k 0 and top-p 1 disable those filters.</summary>
public sealed record SamplingOptions
{
    public static readonly SamplingOptions Greedy = new();

    public double Temperature { get; init; }
    public int TopK { get; init; }
    public double TopP { get; init; } = 1.0;
    public int? Seed { get; init; }

    public void Validate()
    {
        if (Temperature < 0 || double.IsNaN(Temperature)) throw new ArgumentOutOfRangeException(nameof(Temperature), "temperature must be ≥ 0");
        if (TopK < 0) throw new ArgumentOutOfRangeException(nameof(TopK), "top-k must be ≥ 0");
        if (!(TopP > 0 && TopP <= 1)) throw new ArgumentOutOfRangeException(nameof(TopP), "top-p must be in (0, 1]");
    }
}
