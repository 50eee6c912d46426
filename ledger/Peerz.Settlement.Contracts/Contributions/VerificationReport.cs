using System.Text.Json.Serialization;
using Peerz.Chain.Crypto;
using Peerz.Chain.Primitives;

namespace Peerz.Settlement.Contributions;

/// <summary>The JSON of <c>POST /v1/verifications</c>: a <see cref="VerificationMessage"/> and its 65-byte signature.</summary>
public sealed record VerificationReport(
    [property: JsonPropertyName("verifier")] string Verifier,
    [property: JsonPropertyName("receiptDigest")] string ReceiptDigest,
    [property: JsonPropertyName("timestamp")] ulong Timestamp,
    [property: JsonPropertyName("signature")] string Signature)
{
    public static VerificationReport From(VerificationMessage message, EthSignature signature)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(signature);
        return new VerificationReport(message.Verifier.ToString(), Hex.Encode(message.ReceiptDigest), message.Timestamp, signature.ToHex());
    }

    public (VerificationMessage Message, EthSignature Signature) Parse() =>
        (new VerificationMessage(ReportFields.Address(Verifier, "verifier"), ReportFields.Bytes32(ReceiptDigest, "receiptDigest"), Timestamp), ReportFields.Signature(Signature));
}
