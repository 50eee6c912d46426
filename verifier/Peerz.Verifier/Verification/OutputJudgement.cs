namespace Peerz.Verifier.Verification;

/// <summary>
/// The rule an inference step's or forward response's output, or a backward response's gradients, are judged by against
/// their recomputation (docs/verification.md).
/// </summary>
public static class OutputJudgement
{
    /// <summary>
    /// What is wrong with one output, or null when nothing is. With signed expert choices (<paramref name="routingSigned"/>,
    /// replayed as <see cref="SignedRouting"/>), a token routed to an expert at least <paramref name="routerMargin"/> below
    /// the verifier's own top-k is a mismatch (no rounding explains it), and the output is then compared at the mode's
    /// <paramref name="tolerance"/>: only rounding is left. A mixture-of-experts output that signed no routing is compared
    /// at the tolerance too, without the near-tie excuse: omitting the choices must not make a provider harder to catch
    /// (honest providers sign the routing of every pass, backward included).
    /// </summary>
    public static string? Problem(Recomputed expected, double divergence, double tolerance, double routerMargin, bool routingSigned, string what)
    {
        ArgumentNullException.ThrowIfNull(expected);
        if (routingSigned && expected.RoutingDeficit >= routerMargin)
            return $"{what}: a token is routed to an expert {expected.RoutingDeficit:G3} below the router's top-k in probability (near-tie margin {routerMargin:G3})";
        return divergence <= tolerance ? null : $"{what} is {divergence:G3} from the recomputation (tolerance {tolerance:G3})";
    }
}
