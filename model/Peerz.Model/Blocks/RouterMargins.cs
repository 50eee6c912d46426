using static TorchSharp.torch;

namespace Peerz.Model.Blocks;

/// <summary>
/// While observing, the smallest routing margin of each token over every mixture-of-experts block that runs in this
/// async flow: p_k − p_(k+1), the router probability of the last expert a token is routed to minus that of the first
/// it is not. A token with a small margin is a near-tie: another machine's rounding may pick the other expert, which
/// changes its output by a whole expert's contribution — why providers sign their routing and the verifier replays it
/// (<see cref="ExpertRouting"/>). The verifier records the margins of its replays so the near-ties honest providers
/// meet can be measured (docs/verification.md). Observe one forward pass at a time (the margins have the shape of its tokens);
/// dense models record nothing.
/// </summary>
/// <remarks>
/// An ambient observer (async-local) rather than a parameter: margins are a by-product of the MLP that only the
/// verifier reads, and threading a sink through every block type's forward would burden every architecture with it.
/// </remarks>
public sealed class RouterMargins : IDisposable
{
    private static readonly AsyncLocal<RouterMargins?> Observer = new();
    private readonly RouterMargins? _outer;
    private Tensor? _smallest;

    private RouterMargins()
    {
        _outer = Observer.Value;
        Observer.Value = this;
    }

    /// <summary>Starts observing; disposing stops it (and frees the margins).</summary>
    public static RouterMargins Observe() => new();

    /// <summary>The smallest margin per token ([batch, positions] for a span's forward pass), or null when no mixture-of-experts block ran.</summary>
    public Tensor? Smallest => _smallest;

    /// <summary>The smallest margin of the tokens at positions [0, <paramref name="end"/>) of every row; +∞ when no mixture-of-experts block ran.</summary>
    public double SmallestBefore(long end) =>
        _smallest is null ? double.PositiveInfinity : _smallest.narrow(-1, 0, Math.Min(end, _smallest.shape[^1])).min().item<float>();

    internal static bool IsObserving => Observer.Value is not null;

    /// <summary>Takes one block's margins ([tokens' leading dims]) into the observer's element-wise minimum.</summary>
    internal static void Record(Tensor margins)
    {
        if (Observer.Value is not { } observer) return;
        var taken = margins.detach().to_type(ScalarType.Float32);
        if (observer._smallest is { } smallest)
        {
            if (!smallest.shape.SequenceEqual(taken.shape))
                throw new InvalidOperationException("router margins are observed one forward pass at a time; this pass's tokens differ in shape");
            taken = minimum(smallest, taken);
            smallest.Dispose();
        }
        else
        {
            taken = taken.clone();
        }
        observer._smallest = taken.DetachFromDisposeScope();
    }

    public void Dispose()
    {
        Observer.Value = _outer;
        _smallest?.Dispose();
        _smallest = null;
    }
}
