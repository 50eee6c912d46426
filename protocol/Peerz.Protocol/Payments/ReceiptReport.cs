using System.Text.Json;
using Google.Protobuf;
using Peerz.Chain.Primitives;

namespace Peerz.Protocol.Payments;

/// <summary>
/// A receipt a client passes on to a verifier (POST /v1/receipts): the provider's peer id and the signed receipt
/// as its protobuf encoding in hex. JSON: <c>{"peerId":"12D3…","receipt":"0x0a20…"}</c>.
/// </summary>
public sealed record ReceiptReport(string PeerId, SignedReceipt Receipt)
{
    public const int MaxJsonBytes = 4096;

    public string ToJson() => JsonSerializer.Serialize(new Dictionary<string, string>
    {
        ["peerId"] = PeerId,
        ["receipt"] = Hex.Encode(Receipt.ToWire().ToByteArray()),
    });

    /// <exception cref="FormatException">Malformed JSON, a missing field, or a malformed receipt.</exception>
    public static ReceiptReport Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        if (json.Length > MaxJsonBytes) throw new FormatException($"a report is at most {MaxJsonBytes} bytes");
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("peerId", out var peer) || peer.ValueKind != JsonValueKind.String
                || !root.TryGetProperty("receipt", out var receipt) || receipt.ValueKind != JsonValueKind.String)
                throw new FormatException("a report is {\"peerId\": string, \"receipt\": hex string}");
            return new ReceiptReport(peer.GetString()!, SignedReceipt.FromWire(Wire.Receipt.Parser.ParseFrom(Hex.Decode(receipt.GetString()!))));
        }
        catch (Exception e) when (e is JsonException or InvalidProtocolBufferException or ArgumentException)
        {
            throw new FormatException($"malformed report: {e.Message}", e);
        }
    }
}
