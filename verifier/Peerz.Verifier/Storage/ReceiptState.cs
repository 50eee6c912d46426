using Peerz.Chain.Contracts;
using Peerz.Verifier.Verification;

namespace Peerz.Verifier.Storage;

/// <summary>Where the verifier stands on one receipt: its latest verdict, failed fetches counted so far, and its slash proposal if any.</summary>
public sealed record ReceiptState(VerificationVerdict Verdict, int Failures, DateTimeOffset? LastFailureAt, SlashState? Slash)
{
    /// <summary>
    /// True when nothing more will be done for it: any verdict but an unavailable payload is final, and an unavailable
    /// one stays open (to be asked for again, and its challenge withdrawn if the payload turns up) until withdrawn.
    /// </summary>
    public bool IsSettled => Verdict != VerificationVerdict.MissingPayload || Slash is { Withdrawn: true };
}

/// <summary>A slash this verifier proposed for a receipt.</summary>
public sealed record SlashState(SlashFault Fault, byte[] EvidenceDigest, bool Withdrawn);
