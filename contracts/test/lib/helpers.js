// Shared test helpers: typed-data signing with ethers (an implementation independent of the contracts' EIP712)
// and a Merkle tree in the OpenZeppelin StandardMerkleTree convention, verified on chain by OZ MerkleProof.
import { AbiCoder, keccak256, concat, getBytes, hexlify, randomBytes } from "ethers";

export const RECEIPT_TYPES = {
  Receipt: [
    { name: "provider", type: "address" },
    { name: "client", type: "address" },
    { name: "sessionId", type: "bytes32" },
    { name: "step", type: "uint64" },
    { name: "modelId", type: "bytes32" },
    { name: "blockStart", type: "uint32" },
    { name: "blockEnd", type: "uint32" },
    { name: "inputHash", type: "bytes32" },
    { name: "outputHash", type: "bytes32" },
    { name: "tokens", type: "uint32" },
    { name: "timestamp", type: "uint64" },
    { name: "servingMode", type: "uint8" },
    { name: "amount", type: "uint256" },
  ],
};

export const SIGNER_BINDING_TYPES = {
  SignerBinding: [{ name: "provider", type: "address" }],
};

export const VOUCHER_TYPES = {
  Voucher: [
    { name: "client", type: "address" },
    { name: "provider", type: "address" },
    { name: "cumulativeAmount", type: "uint256" },
    { name: "nonce", type: "uint256" },
  ],
};

export async function registryDomain(registry, chainId) {
  return { name: "Peerz Provider Registry", version: "2", chainId, verifyingContract: await registry.getAddress() };
}

export async function escrowDomain(escrow, chainId) {
  return { name: "Peerz Payment Escrow", version: "1", chainId, verifyingContract: await escrow.getAddress() };
}

/** The signer key's proof of possession for `provider` (SignerBinding in the registry's domain). */
export async function signerProof(registry, chainId, signerKey, provider) {
  return signerKey.signTypedData(await registryDomain(registry, chainId), SIGNER_BINDING_TYPES, { provider });
}

/** A receipt v2 with random hashes; fields overridable (set `provider` to the staking account). */
export function makeReceipt(overrides = {}) {
  return {
    provider: "0x" + "00".repeat(20),
    client: "0x" + "00".repeat(20),
    sessionId: hexlify(randomBytes(32)),
    step: 3n,
    modelId: keccak256(Buffer.from("peerz/tiny-llama")),
    blockStart: 0,
    blockEnd: 4,
    inputHash: hexlify(randomBytes(32)),
    outputHash: hexlify(randomBytes(32)),
    tokens: 17,
    timestamp: 1_790_000_000n,
    servingMode: 0x02,
    amount: 1_234n,
    ...overrides,
  };
}

const coder = AbiCoder.defaultAbiCoder();

/** OZ StandardMerkleTree leaf for (address account, uint8 role, uint256 amount). */
export function rewardLeaf(account, role, amount) {
  return keccak256(keccak256(coder.encode(["address", "uint8", "uint256"], [account, role, amount])));
}

function hashPair(a, b) {
  return Buffer.compare(Buffer.from(getBytes(a)), Buffer.from(getBytes(b))) <= 0
    ? keccak256(concat([a, b]))
    : keccak256(concat([b, a]));
}

/** Builds a tree over [account, role, amount] entries; returns the root, a proof function and the role totals. */
export function rewardTree(entries) {
  const leaves = entries.map(([a, r, v]) => rewardLeaf(a, r, v));
  const totals = [0n, 0n, 0n, 0n];
  for (const [, r, v] of entries) totals[r] += BigInt(v);
  const layers = [[...leaves].sort()];
  while (layers.at(-1).length > 1) {
    const prev = layers.at(-1);
    const next = [];
    for (let i = 0; i < prev.length; i += 2) next.push(i + 1 < prev.length ? hashPair(prev[i], prev[i + 1]) : prev[i]);
    layers.push(next);
  }
  const root = layers.at(-1)[0];
  const proof = (account, role, amount) => {
    let index = layers[0].indexOf(rewardLeaf(account, role, amount));
    if (index < 0) throw new Error("leaf not in tree");
    const out = [];
    for (const layer of layers.slice(0, -1)) {
      const sibling = index ^ 1;
      if (sibling < layer.length) out.push(layer[sibling]);
      index >>= 1;
    }
    return out;
  };
  return { root, proof, totals };
}

export const PRZ = (n) => BigInt(n) * 10n ** 18n;
