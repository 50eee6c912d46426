// Deploys the Peerz contracts to a Hardhat network and prints their addresses as JSON.
// Usage: npx hardhat run scripts/deploy-contracts.mjs --network devnet   (a running `npx hardhat node`; PEERZ_RPC_URL overrides the URL)
// Environment: PEERZ_DEPLOY_OUT=<file> also writes the JSON there; PEERZ_KEEP_ADMIN=1 keeps the deployer as
// admin of the registry and rewards (devnet; the default hands admin to the timelock).
import { writeFile } from "node:fs/promises";
import { network } from "hardhat";
import { deployPeerz } from "./lib/peerz-deploy.mjs";

const { ethers } = await network.getOrCreate();
const [deployer] = await ethers.getSigners();
const result = await deployPeerz(ethers, {
  deployer,
  verifiers: [deployer.address],
  settlers: [deployer.address],
  handOverToTimelock: process.env.PEERZ_KEEP_ADMIN !== "1",
});
const { chainId } = await ethers.provider.getNetwork();
const json = JSON.stringify({ chainId: Number(chainId), ...result.addresses }, null, 2);
console.log(json);
if (process.env.PEERZ_DEPLOY_OUT) await writeFile(process.env.PEERZ_DEPLOY_OUT, json + "\n");
