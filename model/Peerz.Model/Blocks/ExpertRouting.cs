using static TorchSharp.torch;

namespace Peerz.Model.Blocks;

/// <summary>
/// While active, every mixture-of-experts block that runs in this async flow records which experts it routed each token
/// to (<see cref="Chosen"/>, one entry per block in the order they ran), and, when following a given routing, routes by it.
/// A provider records its routing to sign it with each output; the verifier replays that routing
/// (<see cref="Follow"/>), because top-k routing flips at near-ties under honest rounding and a replay with the
/// verifier's own routing would then differ by a whole expert's contribution (docs/verification.md).
/// Observe one forward pass at a time; dense blocks record nothing.
/// </summary>
/// <remarks>
/// Ambient (async-local), like <see cref="RouterMargins"/>: the routing is a by-product of the MLP that only providers
/// and the verifier read, and threading it through every block type's forward would burden every architecture with it.
/// </remarks>
public sealed class ExpertRouting : IDisposable
{
    private static readonly AsyncLocal<ExpertRouting?> Active = new();
    private readonly ExpertRouting? _outer;
    private readonly IReadOnlyList<Tensor>? _given;
    private readonly List<Tensor> _chosen = [];
    private Tensor? _deficit;

    private ExpertRouting(IReadOnlyList<Tensor>? given, double slack)
    {
        _given = given;
        Slack = slack;
        _outer = Active.Value;
        Active.Value = this;
    }

    /// <summary>Starts recording the router's own choices; disposing stops it (and frees what was recorded).</summary>
    public static ExpertRouting Record() => new(null, 0);

    /// <summary>
    /// Starts routing by <paramref name="given"/>: entry i ([token dims…, k] expert indices) is the routing of the i-th
    /// mixture-of-experts block to run. A token keeps its given experts when they are within <paramref name="slack"/> of
    /// the router's own top-k (<see cref="Deficit"/>), and takes the router's top-k otherwise. The combining weights are
    /// always the router's probabilities of the experts taken, renormalised over them (as Hugging Face's Mixtral does).
    /// </summary>
    public static ExpertRouting Follow(IReadOnlyList<Tensor> given, double slack)
    {
        ArgumentNullException.ThrowIfNull(given);
        ArgumentOutOfRangeException.ThrowIfNegative(slack);
        return new(given, slack);
    }

    /// <summary>The experts each block routed each token to ([token dims…, k], int64), in the order the blocks ran.</summary>
    public IReadOnlyList<Tensor> Chosen => _chosen;

    /// <summary>
    /// When following: per token (the token dims), the largest over blocks of how far the given experts were from the
    /// router's own top-k — the best left-out expert's probability minus the worst given one's (0 when the given experts are
    /// a top-k). Null when recording, or when no mixture-of-experts block ran.
    /// </summary>
    public Tensor? Deficit => _deficit;

    internal double Slack { get; }

    internal static ExpertRouting? Current => Active.Value;

    /// <summary>The routing the next block must follow ([token dims…, k] as given), or null when recording.</summary>
    internal Tensor? NextGiven(long[] tokenShape, int perToken)
    {
        if (_given is null) return null;
        if (_chosen.Count >= _given.Count)
            throw new ArgumentException($"the routing given covers {_given.Count} mixture-of-experts blocks, but more ran");
        var given = _given[_chosen.Count];
        if (!given.shape.SequenceEqual([.. tokenShape, perToken]))
            throw new ArgumentException($"the routing given for block {_chosen.Count} has shape [{string.Join(", ", given.shape)}]; its tokens need [{string.Join(", ", tokenShape)}, {perToken}]");
        return given;
    }

    /// <summary>Takes one block's routing ([token dims…, k]) and, when following, its per-token deficit ([token dims…]).</summary>
    internal void Took(Tensor chosen, Tensor? deficit)
    {
        _chosen.Add(chosen.detach().to_type(ScalarType.Int64).clone().DetachFromDisposeScope());
        if (deficit is null) return;
        var taken = deficit.detach().to_type(ScalarType.Float32);
        taken = _deficit is { } worst ? maximum(worst, taken) : taken.clone();
        _deficit?.Dispose();
        _deficit = taken.DetachFromDisposeScope();
    }

    public void Dispose()
    {
        Active.Value = _outer;
        foreach (var chosen in _chosen) chosen.Dispose();
        _chosen.Clear();
        _deficit?.Dispose();
        _deficit = null;
    }
}
