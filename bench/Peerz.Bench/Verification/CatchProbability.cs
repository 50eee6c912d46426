namespace Peerz.Bench.Verification;

/// <summary>
/// The chance that a cheating provider is caught within N responses under session sampling (docs/verification.md,
/// "Sampling math"), for a traffic mix given as the share of sessions of each length.
/// </summary>
internal static class CatchProbability
{
    /// <summary>
    /// Independent cheating on a fraction <paramref name="f"/> of responses: a session of m steps holds a cheat with
    /// probability 1 − (1 − f)^m and is checked with probability q(m); N responses are N·w_m/Σ w·m sessions of length m.
    /// </summary>
    public static double Independent(IReadOnlyList<(int Steps, double Share)> mix, Func<int, double> q, double f, double responses) =>
        1 - Math.Exp(Sessions(mix, responses).Sum(s => s.Count * Math.Log(1 - q(s.Steps) * (1 - Math.Pow(1 - f, s.Steps)))));

    /// <summary>Clustered cheating: whole sessions cheated, a fraction <paramref name="f"/> of responses in all; each cheated session caught with probability q(m).</summary>
    public static double Clustered(IReadOnlyList<(int Steps, double Share)> mix, Func<int, double> q, double f, double responses) =>
        1 - Math.Exp(Sessions(mix, responses).Sum(s => f * s.Count * Math.Log(1 - q(s.Steps))));

    /// <summary>The floor the rule guarantees whatever the session lengths (up to (1/p − 1)/f steps): 1 − e^(−p·f·N).</summary>
    public static double Floor(double p, double f, double responses) => 1 - Math.Exp(-p * f * responses);

    private static IEnumerable<(int Steps, double Count)> Sessions(IReadOnlyList<(int Steps, double Share)> mix, double responses)
    {
        var meanSteps = mix.Sum(s => s.Steps * s.Share);
        return mix.Select(s => (s.Steps, responses * s.Share / meanSteps));
    }
}
