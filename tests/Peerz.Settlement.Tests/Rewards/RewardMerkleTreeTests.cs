using System.Globalization;
using System.Numerics;
using System.Text.Json.Nodes;
using Peerz.Chain.Contracts;
using Peerz.Chain.Crypto;
using Peerz.Chain.Primitives;
using Peerz.Settlement.Rewards;
using Peerz.Testing;

namespace Peerz.Settlement.Tests.Rewards;

[Trait("Category", "JavaScript")]
public sealed class RewardMerkleTreeTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(100)]
    public async Task Root_and_proofs_of_role_tagged_leaves_equal_an_ethers_reimplementation_of_OpenZeppelin_StandardMerkleTree(int count)
    {
        var random = new Random(count);
        // Accounts with several roles each, so equal accounts with different roles must get different leaves.
        var accounts = Enumerable.Range(0, (count + 1) / 2).Select(_ => EthKey.Generate().Address).ToArray();
        var amounts = new Dictionary<RewardLeaf, BigInteger>();
        while (amounts.Count < count)
            amounts.TryAdd(new RewardLeaf(accounts[random.Next(accounts.Length)], (RewardRole)random.Next(4)), new BigInteger(random.NextInt64(1, long.MaxValue)) * 1000);

        var tree = new RewardMerkleTree(amounts);
        var reference = await NodeScript.RequestAsync(NodeScript.TestScript("Peerz.Settlement.Tests", "standard-merkle-tree.mjs"), new JsonObject
        {
            ["leaves"] = new JsonArray([.. amounts.Select(kv => (JsonNode)new JsonObject
            {
                ["account"] = kv.Key.Account.ToString(),
                ["role"] = (int)kv.Key.Role,
                ["amount"] = kv.Value.ToString(CultureInfo.InvariantCulture),
            })]),
        });

        Assert.Equal(reference["root"]!.GetValue<string>(), Hex.Encode(tree.Root));
        foreach (var (leaf, amount) in amounts)
        {
            var proof = tree.Proof(leaf);
            Assert.Equal(reference["proofs"]![$"{leaf.Account.ToString().ToLowerInvariant()}:{(int)leaf.Role}"]!.AsArray().Select(n => n!.GetValue<string>()), proof.Select(p => Hex.Encode(p)));
            Assert.Equal(tree.Root, RewardMerkleTree.ProcessProof(EpochRewards.Leaf(leaf.Account, leaf.Role, amount), proof));
        }
    }

    [Fact]
    public void A_proof_for_one_role_does_not_prove_the_same_amount_in_another_role()
    {
        var account = EthKey.Generate().Address;
        var amounts = new Dictionary<RewardLeaf, BigInteger> { [new(account, RewardRole.Verification)] = 5, [new(EthKey.Generate().Address, RewardRole.Inference)] = 7 };
        var tree = new RewardMerkleTree(amounts);
        var proof = tree.Proof(new RewardLeaf(account, RewardRole.Verification));
        Assert.Equal(tree.Root, RewardMerkleTree.ProcessProof(EpochRewards.Leaf(account, RewardRole.Verification, 5), proof));
        Assert.NotEqual(tree.Root, RewardMerkleTree.ProcessProof(EpochRewards.Leaf(account, RewardRole.Inference, 5), proof));
        Assert.Throws<KeyNotFoundException>(() => tree.Proof(new RewardLeaf(account, RewardRole.Inference)));
    }

    [Fact]
    public void An_empty_epoch_has_the_zero_root_and_no_proofs()
    {
        var tree = new RewardMerkleTree(new Dictionary<RewardLeaf, BigInteger>());
        Assert.Equal(new byte[32], tree.Root);
        Assert.Throws<KeyNotFoundException>(() => tree.Proof(new RewardLeaf(EthKey.Generate().Address, RewardRole.Inference)));
    }

    [Fact]
    public void Ten_thousand_leaves_give_proofs_at_most_fourteen_deep()
    {
        var amounts = Enumerable.Range(1, 10_000).ToDictionary(_ => new RewardLeaf(EthKey.Generate().Address, RewardRole.Inference), i => new BigInteger(i));
        var tree = new RewardMerkleTree(amounts);
        Assert.All(amounts.Keys.Take(50), a => Assert.InRange(tree.Proof(a).Count, 13, 14));
    }
}
