namespace Peerz.Ledger.Payments;

/// <summary>One answered request as kept for verifiers: the hashed request and response bytes and the signed receipt (wire encoding).</summary>
public sealed record StepRecord(byte[] SessionId, ulong Step, byte[] Input, byte[] Output, byte[] Receipt, DateTimeOffset RecordedAt);
