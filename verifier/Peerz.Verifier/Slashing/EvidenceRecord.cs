using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.Json;
using Google.Protobuf;
using Peerz.Chain.Contracts;
using Peerz.Chain.Crypto;
using Peerz.Chain.Primitives;
using Peerz.Protocol.Payments;

namespace Peerz.Verifier.Slashing;

/// <summary>
/// The canonical evidence record behind a slash proposal: compact JSON with a fixed field order, lowercase hex and
/// invariant number formatting, so its keccak256 (the on-chain <c>evidenceHash</c>) is reproducible from the record the
/// verifier keeps and serves. It names the chain and registry, the cited receipt (with its signature, as on the wire),
/// the fault, and what the verifier found: the recomputed output hash, divergence and tolerance for a wrong output;
/// the failed fetches for an unavailable payload.
/// </summary>
public static class EvidenceRecord
{
    public const int Version = 1;

    public static string Build(BigInteger chainId, Address registry, Address verifier, string modelId, byte[] reportedDigest, SignedReceipt evidence, SlashFault fault,
        byte[] recomputedOutputHash, double divergence, double tolerance, int failedFetches, string detail)
    {
        ArgumentNullException.ThrowIfNull(evidence);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("version", Version);
            json.WriteString("chainId", chainId.ToString(CultureInfo.InvariantCulture));
            json.WriteString("registry", Hex.Encode(registry.Bytes));
            json.WriteString("verifier", Hex.Encode(verifier.Bytes));
            json.WriteString("modelId", modelId);
            json.WriteString("fault", fault.ToString());
            json.WriteString("provider", Hex.Encode(evidence.Receipt.Provider.Bytes));
            json.WriteString("receiptDigest", Hex.Encode(evidence.Receipt.Digest(chainId, registry)));
            json.WriteString("reportedDigest", Hex.Encode(reportedDigest));
            json.WriteString("signedReceipt", Hex.Encode(evidence.ToWire().ToByteArray()));
            json.WriteNumber("servingMode", evidence.Receipt.ServingMode);
            json.WriteString("recomputedOutputHash", Hex.Encode(recomputedOutputHash));
            json.WriteString("divergence", double.IsFinite(divergence) ? divergence.ToString("R", CultureInfo.InvariantCulture) : "inf");
            json.WriteString("tolerance", tolerance.ToString("R", CultureInfo.InvariantCulture));
            json.WriteNumber("failedFetches", failedFetches);
            json.WriteString("detail", detail);
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
