using Peerz.Chain.Crypto;

namespace Peerz.Ledger.Payments;

/// <summary>One answered request as kept for verifiers: the hashed request and response bytes and the signed receipt (wire encoding).</summary>
public sealed record StepRecord(byte[] SessionId, ulong Step, byte[] Input, byte[] Output, byte[] Receipt, DateTimeOffset RecordedAt)
{
    /// <summary>The client that paid for the step (the receipt's client; zero for free work): only it and verifiers may read the payload back.</summary>
    public Address Client { get; init; } = Address.Zero;

    /// <summary>Bytes this step adds to a payload answer.</summary>
    public long Size => Input.LongLength + Output.LongLength + Receipt.LongLength;
}
