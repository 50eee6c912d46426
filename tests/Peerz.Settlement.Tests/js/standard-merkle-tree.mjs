// Independent reference for RewardMerkleTree: OpenZeppelin's StandardMerkleTree.of(values, ["address","uint8","uint256"])
// (EpochRewards' role-tagged leaves) re-implemented with ethers' ABI coder and keccak (the algorithm of
// @openzeppelin/merkle-tree src/core.ts: makeMerkleTree + getProof, leaves sorted, hashed pairs sorted).
// Reads {"leaves":[{"account","role","amount"}]} on stdin, prints {"root": "0x…", "proofs": {"0xaccount:role": ["0x…", …]}}.
import { AbiCoder, keccak256, concat, getAddress } from "ethers";

const input = JSON.parse(await new Promise((resolve) => {
  let text = "";
  process.stdin.on("data", (chunk) => (text += chunk));
  process.stdin.on("end", () => resolve(text));
}));

const coder = AbiCoder.defaultAbiCoder();
const leafHash = ({ account, role, amount }) => keccak256(keccak256(coder.encode(["address", "uint8", "uint256"], [account, role, BigInt(amount)])));
const compare = (a, b) => (BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0);
const hashPair = (a, b) => keccak256(concat([a, b].sort(compare)));

const hashed = input.leaves.map((leaf) => ({ key: `${getAddress(leaf.account).toLowerCase()}:${leaf.role}`, hash: leafHash(leaf) })).sort((x, y) => compare(x.hash, y.hash));
const tree = new Array(2 * hashed.length - 1);
hashed.forEach((leaf, i) => (tree[tree.length - 1 - i] = leaf.hash));
for (let i = tree.length - 1 - hashed.length; i >= 0; i--) tree[i] = hashPair(tree[2 * i + 1], tree[2 * i + 2]);

const proofs = {};
hashed.forEach((leaf, i) => {
  let index = tree.length - 1 - i;
  const proof = [];
  while (index > 0) {
    proof.push(tree[index - (-1) ** (index % 2)]);
    index = Math.floor((index - 1) / 2);
  }
  proofs[leaf.key] = proof;
});
console.log(JSON.stringify({ root: tree[0], proofs }));
