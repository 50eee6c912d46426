using System.Globalization;
using System.Text.Json.Serialization;
using Peerz.Chain.Contracts;
using Peerz.Chain.Crypto;
using Peerz.Chain.Primitives;

namespace Peerz.Settlement.Contributions;

/// <summary>
/// A provider-signed receipt as reported to <c>POST /v1/receipts</c>: the EIP-712 Receipt fields (addresses and bytes32
/// as 0x hex, integers as JSON numbers, <c>amount</c> as a decimal string) and the 65-byte signature (r‖s‖v hex).
/// <c>provider</c> is the provider's staking account, which the receipt itself names and its registered signer signed.
/// </summary>
public sealed record ReceiptReport(
    [property: JsonPropertyName("provider")] string Provider,
    [property: JsonPropertyName("client")] string Client,
    [property: JsonPropertyName("sessionId")] string SessionId,
    [property: JsonPropertyName("step")] ulong Step,
    [property: JsonPropertyName("modelId")] string ModelId,
    [property: JsonPropertyName("blockStart")] uint BlockStart,
    [property: JsonPropertyName("blockEnd")] uint BlockEnd,
    [property: JsonPropertyName("inputHash")] string InputHash,
    [property: JsonPropertyName("outputHash")] string OutputHash,
    [property: JsonPropertyName("tokens")] uint Tokens,
    [property: JsonPropertyName("timestamp")] ulong Timestamp,
    [property: JsonPropertyName("servingMode")] byte ServingMode,
    [property: JsonPropertyName("amount")] string Amount,
    [property: JsonPropertyName("signature")] string Signature)
{
    public static ReceiptReport From(WorkReceipt receipt, EthSignature signature)
    {
        ArgumentNullException.ThrowIfNull(receipt);
        ArgumentNullException.ThrowIfNull(signature);
        return new ReceiptReport(
            receipt.Provider.ToString(), receipt.Client.ToString(), Hex.Encode(receipt.SessionId), receipt.Step, Hex.Encode(receipt.ModelId), receipt.BlockStart, receipt.BlockEnd,
            Hex.Encode(receipt.InputHash), Hex.Encode(receipt.OutputHash), receipt.Tokens, receipt.Timestamp, receipt.ServingMode,
            receipt.Amount.ToString(CultureInfo.InvariantCulture), signature.ToHex());
    }

    /// <exception cref="IntakeException">400 for a field that is missing or not what it should be.</exception>
    public (WorkReceipt Receipt, EthSignature Signature) Parse() => (
        new WorkReceipt(
            ReportFields.Address(Provider, "provider"), ReportFields.Address(Client, "client"),
            ReportFields.Bytes32(SessionId, "sessionId"), Step, ReportFields.Bytes32(ModelId, "modelId"), BlockStart, BlockEnd,
            ReportFields.Bytes32(InputHash, "inputHash"), ReportFields.Bytes32(OutputHash, "outputHash"), Tokens, Timestamp, ServingMode,
            ReportFields.Amount(Amount, "amount")),
        ReportFields.Signature(Signature));
}
