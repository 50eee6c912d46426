using System.Numerics;
using System.Text.Json;
using Peerz.Chain.Contracts;
using Peerz.Chain.Crypto;
using Peerz.Chain.Primitives;
using Peerz.Protocol.Payments;
using Peerz.Verifier.Slashing;

namespace Peerz.Verifier.Tests;

public sealed class EvidenceRecordTests
{
    private static readonly BigInteger ChainId = 31337;
    private static readonly Address Registry = Address.Parse("0x5fbdb2315678afecb367f032d93f642f64180aa3");

    [Fact]
    public void The_record_is_canonical_compact_json_naming_the_receipt_and_what_was_found()
    {
        var signer = EthKey.Generate();
        var receipt = SignedReceipt.Sign(new WorkReceipt(signer.Address, Address.Zero, WorkIds.NewSession(WorkKind.Forward), 0, WorkIds.Model("tiny"), 0, 4,
            new byte[32], new byte[32], 5, 1_700_000_000, 0x02, 20_000_000_000), signer, ChainId, Registry);
        var digest = receipt.Receipt.Digest(ChainId, Registry);
        var recomputed = Keccak.Hash("recomputed response");
        string Build() => EvidenceRecord.Build(ChainId, Registry, Address.Zero, "tiny", digest, receipt, SlashFault.WrongOutput, recomputed, 0.5, 0.06, 0, "the output is 0.5 away");

        var record = Build();
        Assert.Equal(record, Build()); // same inputs, same bytes, same on-chain hash
        Assert.DoesNotContain(" ", record.Replace("the output is 0.5 away", "", StringComparison.Ordinal));
        using var json = JsonDocument.Parse(record);
        var root = json.RootElement;
        Assert.Equal(
            ["version", "chainId", "registry", "verifier", "modelId", "fault", "provider", "receiptDigest", "reportedDigest", "signedReceipt", "servingMode",
                "recomputedOutputHash", "divergence", "tolerance", "failedFetches", "detail"],
            root.EnumerateObject().Select(p => p.Name));
        Assert.Equal(Hex.Encode(digest), root.GetProperty("receiptDigest").GetString());
        Assert.Equal(Hex.Encode(recomputed), root.GetProperty("recomputedOutputHash").GetString());
        Assert.Equal("WrongOutput", root.GetProperty("fault").GetString());
        Assert.Equal(2, root.GetProperty("servingMode").GetInt32());
        // The signed receipt travels as wire bytes: anyone can decode it and check the provider's signature.
        var wire = Protocol.Wire.Receipt.Parser.ParseFrom(Hex.Decode(root.GetProperty("signedReceipt").GetString()!));
        Assert.Equal(signer.Address, SignedReceipt.FromWire(wire).Signer(ChainId, Registry));
        Assert.Equal(Keccak.Hash(record), new SlashProposal(signer.Address, digest, SlashFault.WrongOutput, recomputed, record).EvidenceHash);
    }
}
