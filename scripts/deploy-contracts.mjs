// Deploys the Peerz contracts to a Hardhat network and prints their addresses as JSON.
// Usage: npx hardhat run scripts/deploy-contracts.mjs --network devnet   (a running `npx hardhat node`; PEERZ_RPC_URL overrides the URL)
// Environment: PEERZ_DEPLOY_OUT=<file> also writes the JSON there; PEERZ_KEEP_ADMIN=1 keeps the deployer as
// admin of the registry and rewards and as arbiter of disputed slashes (devnet; the default hands both to the
// timelock, which is an arbiter in either case); PEERZ_DEPLOY_OPTIONS='{"epochLength":"60","challengePeriod":"3600"}'
// overrides any of DEFAULTS in scripts/lib/peerz-deploy.mjs (integers as strings; roleWeights as an array), e.g.
// challengePeriod (registry, s), rootChallengePeriod (rewards, s), claimWindowEpochs (rewards, epochs).
// Devnet roles and funds: PEERZ_VERIFIERS / PEERZ_SETTLERS (comma-separated addresses; default the deployer) get
// the verifier / settlement role; PEERZ_FUND (addresses) each receive PEERZ_FUND_PRZ PRZ (default 10000) from the deployer.
import { writeFile } from "node:fs/promises";
import { network } from "hardhat";
import { DEFAULTS, deployPeerz } from "./lib/peerz-deploy.mjs";

const { ethers } = await network.getOrCreate();
const [deployer] = await ethers.getSigners();
const overrides = parseOverrides(process.env.PEERZ_DEPLOY_OPTIONS);
const result = await deployPeerz(ethers, {
  ...overrides,
  deployer,
  verifiers: addresses(process.env.PEERZ_VERIFIERS) ?? [deployer.address],
  settlers: addresses(process.env.PEERZ_SETTLERS) ?? [deployer.address],
  handOverToTimelock: process.env.PEERZ_KEEP_ADMIN !== "1",
});
const fundEach = ethers.parseUnits(process.env.PEERZ_FUND_PRZ ?? "10000", 18);
for (const account of addresses(process.env.PEERZ_FUND) ?? []) {
  await (await result.token.connect(deployer).transfer(account, fundEach)).wait();
}
const { chainId } = await ethers.provider.getNetwork();
const json = JSON.stringify({ chainId: Number(chainId), ...result.addresses }, null, 2);
console.log(json);
if (process.env.PEERZ_DEPLOY_OUT) await writeFile(process.env.PEERZ_DEPLOY_OUT, json + "\n");

function parseOverrides(text) {
  if (!text) return {};
  const raw = JSON.parse(text);
  const known = new Set(Object.keys(DEFAULTS));
  const out = {};
  for (const [key, value] of Object.entries(raw)) {
    if (!known.has(key)) throw new Error(`PEERZ_DEPLOY_OPTIONS: unknown option '${key}' (known: ${[...known].join(", ")})`);
    const toBig = (v) => (typeof DEFAULTS[key] === "number" ? Number(v) : BigInt(v));
    out[key] = Array.isArray(value) ? value.map((v) => BigInt(v)) : toBig(value);
  }
  return out;
}

function addresses(text) {
  if (!text) return undefined;
  return text.split(",").map((a) => a.trim()).filter((a) => a.length > 0);
}
