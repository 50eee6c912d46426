using Peerz.Chain.Crypto;

namespace Peerz.Ledger.Payments;

/// <summary>
/// Consecutive steps of one session as held for verifiers, bounded in size; <paramref name="More"/> says steps up to
/// the one asked for remain after the last one here. <paramref name="Client"/> is the session's paying client.
/// </summary>
public sealed record PayloadChunk(Address Client, IReadOnlyList<StepRecord> Steps, bool More);
