// Reads what the chaos soak's invariants need straight from the chain with ethers (independent of Peerz's own chain
// client), after claiming every leaf of every published epoch so that claims can be summed from Claimed events.
// Usage: node chain-audit.mjs RPC_URL DEPLOYMENT_JSON PROOFS_DIR CLAIMER_PRIVATE_KEY CLIENTS(comma) PROVIDERS(comma)
// Prints one JSON object (amounts as decimal strings).
import { readFile, readdir } from "node:fs/promises";
import path from "node:path";
import { ethers } from "ethers";

const [rpcUrl, deploymentPath, proofsDir, claimerKey, clientList, providerList] = process.argv.slice(2);
const provider = new ethers.JsonRpcProvider(rpcUrl, undefined, { staticNetwork: true, polling: false });
const deployment = JSON.parse(await readFile(deploymentPath, "utf8"));
const clients = clientList.split(",").filter(Boolean).map(ethers.getAddress);
const providers = providerList.split(",").filter(Boolean).map(ethers.getAddress);

const escrow = new ethers.Contract(deployment.escrow, [
  "event Deposited(address indexed client, uint256 amount, uint256 balance)",
  "event Redeemed(address indexed client, address indexed provider, uint256 nonce, uint256 cumulativeAmount, uint256 paid, uint256 fee)",
  "function protocolFeeBps() view returns (uint16)",
  "function balanceOf(address) view returns (uint256)",
  "function lane(address,address) view returns (uint256 amount, uint256 releasing, uint64 releaseTime)",
  "function redeemed(address,address) view returns (uint256)",
  "function pendingWithdrawal(address) view returns (uint256 amount, uint64 releaseTime)",
], provider);
const registry = new ethers.Contract(deployment.registry, [
  "event SlashProposed(address indexed provider, address indexed verifier, bytes32 indexed receiptDigest, uint8 fault, uint256 amount, uint64 deadline, bytes32 recomputedOutputHash, bytes32 evidenceHash)",
  "function getProvider(address) view returns (uint256 stakeAmount, address signer, bytes peerId, uint256 pricePerToken, bool jailed, uint256 unbonding, uint64 unbondingReleaseTime)",
], provider);
const claimer = new ethers.NonceManager(new ethers.Wallet(claimerKey, provider));
const rewards = new ethers.Contract(deployment.rewards, [
  "event RootPosted(uint256 indexed epoch, bytes32 root, uint256 total, uint256 pool, uint256 carriedOver)",
  "event Claimed(uint256 indexed epoch, address indexed account, uint8 indexed role, uint256 amount)",
  "function isClaimed(uint256 epoch, address account, uint8 role) view returns (bool)",
  "function claim(uint256 epoch, address account, uint8 role, uint256 amount, bytes32[] proof)",
], claimer);

// Roles as EpochRewards numbers them (the proofs file names them).
const roles = { inference: 0, training: 1, verification: 2, routing: 3 };
const roleNumber = (role) => (typeof role === "number" ? role : roles[role] ?? Number.NaN);

// Claim every leaf of every published proofs file (anyone may submit; the PRZ go to the account).
const claimErrors = [];
let files = [];
try { files = (await readdir(proofsDir)).filter((f) => /^epoch-\d+\.json$/.test(f)); } catch { /* no epoch published */ }
for (const file of files) {
  const proofs = JSON.parse(await readFile(path.join(proofsDir, file), "utf8"));
  for (const [account, leaves] of Object.entries(proofs.claims ?? {})) {
    for (const leaf of leaves) {
      try {
        const role = roleNumber(leaf.role);
        if (await rewards.isClaimed(proofs.epoch, account, role)) continue;
        await (await rewards.claim(proofs.epoch, account, role, leaf.amount, leaf.proof)).wait();
      } catch (e) {
        claimErrors.push(`${file} ${account} role ${leaf.role}: ${e.shortMessage ?? e.message}`);
      }
    }
  }
}

const str = (v) => v.toString();
const deposits = await escrow.queryFilter(escrow.filters.Deposited(), 0);
const redeemedEvents = await escrow.queryFilter(escrow.filters.Redeemed(), 0);
const escrowState = {};
for (const client of clients) {
  const pairs = {};
  for (const p of providers) {
    const lane = await escrow.lane(client, p);
    pairs[p] = { redeemed: str(await escrow.redeemed(client, p)), lane: str(lane.amount) };
  }
  escrowState[client] = {
    deposited: str(deposits.filter((e) => e.args.client === client).reduce((s, e) => s + e.args.amount, 0n)),
    balance: str(await escrow.balanceOf(client)),
    pendingWithdrawal: str((await escrow.pendingWithdrawal(client)).amount),
    pairs,
  };
}
const registryState = {};
for (const p of providers) {
  const info = await registry.getProvider(p);
  registryState[p] = { jailed: info.jailed, stake: str(info.stakeAmount) };
}
const roots = await rewards.queryFilter(rewards.filters.RootPosted(), 0);
const claims = await rewards.queryFilter(rewards.filters.Claimed(), 0);

console.log(JSON.stringify({
  escrow: escrowState,
  protocolFeeBps: Number(await escrow.protocolFeeBps()),
  redeemed: redeemedEvents.map((e) => ({
    client: e.args.client, provider: e.args.provider, nonce: str(e.args.nonce), cumulative: str(e.args.cumulativeAmount), paid: str(e.args.paid), fee: str(e.args.fee),
    block: e.blockNumber, index: e.index,
  })),
  registry: registryState,
  slashProposed: (await registry.queryFilter(registry.filters.SlashProposed(), 0)).map((e) => ({ provider: e.args.provider, fault: Number(e.args.fault) })),
  epochs: roots.map((e) => ({
    epoch: Number(e.args.epoch), total: str(e.args.total), pool: str(e.args.pool), carriedOver: str(e.args.carriedOver),
    claimed: str(claims.filter((c) => c.args.epoch === e.args.epoch).reduce((s, c) => s + c.args.amount, 0n)),
  })),
  claimErrors,
}));
