using System.Numerics;

namespace Peerz.Ledger.Payments;

/// <summary>
/// The answer to a charge: accepted, or refused with what the voucher's cumulative amount must reach
/// (<paramref name="RequiredCumulative"/>) and why.
/// </summary>
public sealed record ChargeOutcome(bool Accepted, BigInteger RequiredCumulative, string? Reason = null);
