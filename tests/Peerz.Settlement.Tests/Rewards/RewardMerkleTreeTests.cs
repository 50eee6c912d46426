using System.Globalization;
using System.Numerics;
using System.Text.Json.Nodes;
using Peerz.Chain.Contracts;
using Peerz.Chain.Crypto;
using Peerz.Chain.Primitives;
using Peerz.Settlement.Rewards;
using Peerz.Settlement.Tests.Support;

namespace Peerz.Settlement.Tests.Rewards;

public sealed class RewardMerkleTreeTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(100)]
    public async Task Root_and_proofs_equal_an_ethers_reimplementation_of_OpenZeppelin_StandardMerkleTree(int count)
    {
        var random = new Random(count);
        var amounts = Enumerable.Range(0, count).ToDictionary(_ => EthKey.Generate().Address, _ => new BigInteger(random.NextInt64(1, long.MaxValue)) * 1000);

        var tree = new RewardMerkleTree(amounts);
        var reference = await NodeScript.RunAsync("standard-merkle-tree.mjs", new JsonObject
        {
            ["leaves"] = new JsonArray([.. amounts.Select(kv => (JsonNode)new JsonObject { ["account"] = kv.Key.ToString(), ["amount"] = kv.Value.ToString(CultureInfo.InvariantCulture) })]),
        });

        Assert.Equal(reference["root"]!.GetValue<string>(), Hex.Encode(tree.Root));
        foreach (var (account, amount) in amounts)
        {
            var proof = tree.Proof(account);
            Assert.Equal(reference["proofs"]![account.ToString().ToLowerInvariant()]!.AsArray().Select(n => n!.GetValue<string>()), proof.Select(p => Hex.Encode(p)));
            Assert.Equal(tree.Root, RewardMerkleTree.ProcessProof(EpochRewards.Leaf(account, amount), proof));
        }
    }

    [Fact]
    public void An_empty_epoch_has_the_zero_root_and_no_proofs()
    {
        var tree = new RewardMerkleTree(new Dictionary<Address, BigInteger>());
        Assert.Equal(new byte[32], tree.Root);
        Assert.Throws<KeyNotFoundException>(() => tree.Proof(EthKey.Generate().Address));
    }

    [Fact]
    public void Ten_thousand_accounts_give_proofs_at_most_fourteen_deep()
    {
        var amounts = Enumerable.Range(1, 10_000).ToDictionary(_ => EthKey.Generate().Address, i => new BigInteger(i));
        var tree = new RewardMerkleTree(amounts);
        Assert.All(amounts.Keys.Take(50), a => Assert.InRange(tree.Proof(a).Count, 13, 14));
    }
}
