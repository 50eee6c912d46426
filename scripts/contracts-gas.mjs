// Gas of the Peerz contract operations on Hardhat's in-process EDR chain, from transaction receipts,
// beside a plain PRZ transfer measured in the same run as the baseline. Prints a Markdown table.
// Usage: npx hardhat run scripts/contracts-gas.mjs
import { network } from "hardhat";
import { Wallet, keccak256, toUtf8Bytes, hexlify, randomBytes } from "ethers";
import { deployPeerz } from "./lib/peerz-deploy.mjs";
import {
  PRZ,
  RECEIPT_TYPES,
  VOUCHER_TYPES,
  escrowDomain,
  registryDomain,
  makeReceipt,
  rewardTree,
  signerProof,
} from "../contracts/test/lib/helpers.js";

const { ethers, networkHelpers } = await network.getOrCreate();
const [deployer, provider, client, verifier, settler, claimant] = await ethers.getSigners();
const peerz = await deployPeerz(ethers, {
  deployer,
  verifiers: [verifier.address],
  settlers: [settler.address],
  handOverToTimelock: false,
});
const { token, registry, escrow, rewards } = peerz;
const { chainId } = await ethers.provider.getNetwork();
const rows = [];
const gas = async (label, txPromise) => {
  const receipt = await (await txPromise).wait();
  rows.push([label, receipt.gasUsed]);
};

await gas("baseline: PRZ transfer to a new holder", token.transfer(provider.address, PRZ(10_000)));
await gas("baseline: PRZ transfer to an existing holder", token.transfer(provider.address, PRZ(10_000)));
await token.transfer(client.address, PRZ(10_000));

const signerKey = Wallet.createRandom();
const peerId = "0x002408011220" + "ab".repeat(32); // 38-byte Ed25519 libp2p peer id
const proof = await signerProof(registry, chainId, signerKey, provider.address);
await token.connect(provider).approve(registry.target, PRZ(5_000));
await gas(
  "stake: first registration (38-byte peer id, signer proof)",
  registry.connect(provider).stake(PRZ(2_000), signerKey.address, peerId, 5n, proof),
);
await gas("stake: top-up (signer proof checked again)", registry.connect(provider).stake(PRZ(1_000), signerKey.address, peerId, 5n, proof));

await gas("approve (client → escrow)", token.connect(client).approve(escrow.target, PRZ(1_000)));
await gas("deposit: first", escrow.connect(client).deposit(PRZ(1_000)));
await gas("reserve: first lane for (client, provider)", escrow.connect(client).reserve(provider.address, PRZ(500)));
await gas("reserve: top-up of a lane", escrow.connect(client).reserve(provider.address, PRZ(100)));
const escrowTypedDomain = await escrowDomain(escrow, chainId);
const sign = (v) => client.signTypedData(escrowTypedDomain, VOUCHER_TYPES, v);
const v1 = { client: client.address, provider: provider.address, cumulativeAmount: PRZ(1), nonce: 1n };
await gas("redeem voucher from the lane: first for (client, provider)", escrow.connect(provider).redeem(v1, await sign(v1)));
const v2 = { ...v1, cumulativeAmount: PRZ(3), nonce: 2n };
await gas("redeem voucher from the lane: later one", escrow.connect(provider).redeem(v2, await sign(v2)));
// Without the protocol fee (no transfer to the reward pool): what the fee costs in gas.
await escrow.connect(deployer).setProtocolFee(0);
const v3 = { ...v1, cumulativeAmount: PRZ(4), nonce: 3n };
await gas("redeem voucher from the lane: later one, protocol fee 0", escrow.connect(provider).redeem(v3, await sign(v3)));
await gas("requestRelease (lane)", escrow.connect(client).requestRelease(provider.address, PRZ(100)));
await gas("requestWithdrawal (leaves the balance at once)", escrow.connect(client).requestWithdrawal(PRZ(100)));

const receipt = makeReceipt({ provider: provider.address, client: client.address });
const sig = await signerKey.signTypedData(await registryDomain(registry, chainId), RECEIPT_TYPES, receipt);
await gas(
  "proposeSlash (WrongOutput: stake held, jail)",
  registry.connect(verifier).proposeSlash(receipt, sig, 0, keccak256(toUtf8Bytes("recomputed")), keccak256(toUtf8Bytes("evidence"))),
);
await networkHelpers.time.increase(await registry.challengePeriod());
await gas("finalizeSlash (held stake to the reward pool)", registry.finalizeSlash(provider.address));

// A realistic epoch: 1,024 (account, role) leaves in the tree (proof of 10 hashes).
const entries = [[claimant.address, 0, PRZ(10)]];
for (let i = 1; i < 1024; i++) entries.push([hexlify(randomBytes(20)), i % 3, PRZ(1)]);
const tree = rewardTree(entries);
await networkHelpers.time.increase(await rewards.epochLength());
await gas("post epoch root (role totals, mints emission, 1,024 leaves)", rewards.connect(settler).postRoot(0n, tree.root, tree.totals));
await networkHelpers.time.increase(await rewards.rootChallengePeriod());
await gas(
  "claim (role-tagged leaf, proof of 10 hashes)",
  rewards.connect(claimant).claim(0n, claimant.address, 0, PRZ(10), tree.proof(claimant.address, 0, PRZ(10))),
);

const base = rows[1][1];
console.log("| operation | gas | × PRZ transfer |");
console.log("|---|---:|---:|");
for (const [label, g] of rows) console.log(`| ${label} | ${g} | ${(Number(g) / Number(base)).toFixed(2)} |`);

