using System.Numerics;
using Peerz.Chain.Contracts;
using Peerz.Chain.Crypto;

namespace Peerz.Settlement.Rewards;

/// <summary>
/// OpenZeppelin's StandardMerkleTree for <c>["address","uint8","uint256"]</c> leaves (account, role, amount), the tree EpochRewards.claim verifies
/// (MerkleProof with sorted pairs): leaves are EpochRewards.Leaf (double keccak of abi.encode), sorted ascending,
/// laid out as a complete binary tree in an array (node i has children 2i+1, 2i+2; leaves fill the array's end in
/// reverse order). The same layout as @openzeppelin/merkle-tree gives the same root and proofs. One leaf per
/// (account, role): the role is inside the hashed leaf, so a proof for one role cannot claim another role's share.
/// </summary>
public sealed class RewardMerkleTree
{
    private readonly byte[][] _nodes;
    private readonly Dictionary<RewardLeaf, int> _index = [];

    public RewardMerkleTree(IReadOnlyDictionary<RewardLeaf, BigInteger> amounts)
    {
        ArgumentNullException.ThrowIfNull(amounts);
        var leaves = amounts.Select(kv => (Key: kv.Key, Hash: EpochRewards.Leaf(kv.Key.Account, kv.Key.Role, kv.Value)))
            .OrderBy(l => l.Hash, ByteComparer.Instance)
            .ToArray();
        if (leaves.Length == 0)
        {
            _nodes = [];
            Root = new byte[32];
            return;
        }

        _nodes = new byte[(2 * leaves.Length) - 1][];
        for (var i = 0; i < leaves.Length; i++)
        {
            var position = _nodes.Length - 1 - i;
            _nodes[position] = leaves[i].Hash;
            _index[leaves[i].Key] = position;
        }

        for (var i = _nodes.Length - 1 - leaves.Length; i >= 0; i--)
        {
            _nodes[i] = HashPair(_nodes[(2 * i) + 1], _nodes[(2 * i) + 2]);
        }

        Root = _nodes[0];
    }

    /// <summary>The root to post; 32 zero bytes for an epoch without rewards.</summary>
    public byte[] Root { get; }

    /// <summary>Sibling hashes from the (account, role) leaf up to (not including) the root.</summary>
    public IReadOnlyList<byte[]> Proof(RewardLeaf leaf)
    {
        if (!_index.TryGetValue(leaf, out var i)) throw new KeyNotFoundException($"{leaf.Account} has no {leaf.Role} leaf in this tree");
        var proof = new List<byte[]>();
        while (i > 0)
        {
            proof.Add(_nodes[i % 2 == 1 ? i + 1 : i - 1]);
            i = (i - 1) / 2;
        }

        return proof;
    }

    /// <summary>MerkleProof.processProof: folds the proof into a root with sorted-pair hashing.</summary>
    public static byte[] ProcessProof(byte[] leaf, IEnumerable<byte[]> proof)
    {
        ArgumentNullException.ThrowIfNull(proof);
        return proof.Aggregate(leaf, HashPair);
    }

    private static byte[] HashPair(byte[] a, byte[] b)
    {
        Span<byte> buffer = stackalloc byte[64];
        var (first, second) = ByteComparer.Instance.Compare(a, b) <= 0 ? (a, b) : (b, a);
        first.CopyTo(buffer);
        second.CopyTo(buffer[32..]);
        return Keccak.Hash(buffer);
    }

    private sealed class ByteComparer : IComparer<byte[]>
    {
        public static readonly ByteComparer Instance = new();

        public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
    }
}
