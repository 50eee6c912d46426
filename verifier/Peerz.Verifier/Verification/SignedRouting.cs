using Peerz.Model.Blocks;

namespace Peerz.Verifier.Verification;

/// <summary>
/// The expert choices a mixture-of-experts provider signed with each step's output (<see cref="Steps"/>, one per step, for
/// that step's tokens), replayed by the verifier: a token keeps the provider's experts where they are within
/// <see cref="Slack"/> of the verifier's own top-k (a near-tie, which honest rounding may fall either side of), and takes
/// the verifier's own otherwise (and the step is a mismatch: <see cref="Recomputed.RoutingDeficit"/>).
/// </summary>
public sealed record SignedRouting(IReadOnlyList<RoutedExperts> Steps, double Slack);
