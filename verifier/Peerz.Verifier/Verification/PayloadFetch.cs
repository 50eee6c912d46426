using Peerz.Protocol.Wire;

namespace Peerz.Verifier.Verification;

/// <summary>
/// The steps of a session fetched from its provider, or why not. <paramref name="ProviderFault"/> says whether the
/// failure is the provider's (no answer, an error, too few steps: counts towards unavailability) or the verifier's
/// own limit (the session is larger than it is willing to hold: not checkable).
/// </summary>
public sealed record PayloadFetch(IReadOnlyList<StepPayload>? Steps, string Problem, bool ProviderFault)
{
    public static PayloadFetch Failed(string problem) => new(null, problem, true);
}
