using System.Text.Json.Serialization;
using Peerz.Chain.Contracts;
using Peerz.Chain.Crypto;
using Peerz.Chain.Primitives;

namespace Peerz.Settlement.Contributions;

/// <summary>
/// A provider-signed receipt as reported to <c>POST /v1/receipts</c>: the EIP-712 Receipt fields (bytes32 as 0x
/// hex, integers as JSON numbers or decimal strings), the 65-byte signature (r‖s‖v hex) and the provider's
/// account (the address it staked from; its registered signer must have signed).
/// </summary>
public sealed record ReceiptReport(
    [property: JsonPropertyName("provider")] string Provider,
    [property: JsonPropertyName("sessionId")] string SessionId,
    [property: JsonPropertyName("step")] ulong Step,
    [property: JsonPropertyName("modelId")] string ModelId,
    [property: JsonPropertyName("blockStart")] uint BlockStart,
    [property: JsonPropertyName("blockEnd")] uint BlockEnd,
    [property: JsonPropertyName("inputHash")] string InputHash,
    [property: JsonPropertyName("outputHash")] string OutputHash,
    [property: JsonPropertyName("tokens")] uint Tokens,
    [property: JsonPropertyName("timestamp")] ulong Timestamp,
    [property: JsonPropertyName("signature")] string Signature)
{
    public static ReceiptReport From(Address provider, WorkReceipt receipt, EthSignature signature)
    {
        ArgumentNullException.ThrowIfNull(receipt);
        ArgumentNullException.ThrowIfNull(signature);
        return new ReceiptReport(
            provider.ToString(), Hex.Encode(receipt.SessionId), receipt.Step, Hex.Encode(receipt.ModelId), receipt.BlockStart, receipt.BlockEnd,
            Hex.Encode(receipt.InputHash), Hex.Encode(receipt.OutputHash), receipt.Tokens, receipt.Timestamp, signature.ToHex());
    }

    /// <exception cref="IntakeException">400 for a field that is missing or not what it should be.</exception>
    public (Address Provider, WorkReceipt Receipt, EthSignature Signature) Parse() => (
        ReportFields.Address(Provider, "provider"),
        new WorkReceipt(
            ReportFields.Bytes32(SessionId, "sessionId"), Step, ReportFields.Bytes32(ModelId, "modelId"), BlockStart, BlockEnd,
            ReportFields.Bytes32(InputHash, "inputHash"), ReportFields.Bytes32(OutputHash, "outputHash"), Tokens, Timestamp),
        ReportFields.Signature(Signature));
}
