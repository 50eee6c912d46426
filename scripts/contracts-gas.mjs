// Gas of the Peerz contract operations on Hardhat's in-process EDR chain, from transaction receipts,
// beside a plain PRZ transfer measured in the same run as the baseline. Prints a Markdown table.
// Usage: npx hardhat run scripts/contracts-gas.mjs
import { network } from "hardhat";
import { Wallet, keccak256, toUtf8Bytes, hexlify, randomBytes } from "ethers";
import { deployPeerz } from "./lib/peerz-deploy.mjs";
import { PRZ, RECEIPT_TYPES, VOUCHER_TYPES, escrowDomain, registryDomain, makeReceipt, rewardTree } from "../contracts/test/lib/helpers.js";

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
await token.connect(provider).approve(registry.target, PRZ(5_000));
await gas("stake: first registration (38-byte peer id)", registry.connect(provider).stake(PRZ(2_000), signerKey.address, peerId, 5n));
await gas("stake: top-up", registry.connect(provider).stake(PRZ(1_000), signerKey.address, peerId, 5n));

await token.connect(client).approve(escrow.target, PRZ(1_000));
await escrow.connect(client).deposit(PRZ(1_000));
const escrowTypedDomain = await escrowDomain(escrow, chainId);
const sign = (v) => client.signTypedData(escrowTypedDomain, VOUCHER_TYPES, v);
const v1 = { client: client.address, provider: provider.address, cumulativeAmount: PRZ(1), nonce: 1n };
await gas("redeem voucher: first for (client, provider)", escrow.connect(provider).redeem(v1, await sign(v1)));
const v2 = { ...v1, cumulativeAmount: PRZ(3), nonce: 2n };
await gas("redeem voucher: later one", escrow.connect(provider).redeem(v2, await sign(v2)));

const receipt = makeReceipt();
const sig = await signerKey.signTypedData(await registryDomain(registry, chainId), RECEIPT_TYPES, receipt);
await gas(
  "slash (stake moved to the reward pool, jail)",
  registry.connect(verifier).slash(provider.address, receipt, sig, keccak256(toUtf8Bytes("evidence"))),
);

// A realistic epoch: 1,024 accounts in the tree (proof of 10 hashes).
const entries = [[claimant.address, PRZ(10)]];
for (let i = 1; i < 1024; i++) entries.push([hexlify(randomBytes(20)), PRZ(1)]);
const tree = rewardTree(entries);
await networkHelpers.time.increase(await rewards.epochLength());
await gas("post epoch root (mints emission, 1,024 leaves)", rewards.connect(settler).postRoot(0n, tree.root, PRZ(10) + PRZ(1023)));
await gas("claim (proof of 10 hashes)", rewards.connect(claimant).claim(0n, claimant.address, PRZ(10), tree.proof(claimant.address, PRZ(10))));

const base = rows[1][1];
console.log("| operation | gas | × PRZ transfer |");
console.log("|---|---:|---:|");
for (const [label, g] of rows) console.log(`| ${label} | ${g} | ${(Number(g) / Number(base)).toFixed(2)} |`);

