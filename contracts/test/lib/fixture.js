// A deployed Peerz system with funded actors; the deployer keeps admin (governance.test.js covers the timelock).
import { deployPeerz } from "../../../scripts/lib/peerz-deploy.mjs";
import { PRZ } from "./helpers.js";

export async function deployedPeerz(ethers, options = {}) {
  const [deployer, provider, client, verifier, settler, outsider, provider2, verifier2] = await ethers.getSigners();
  const peerz = await deployPeerz(ethers, {
    deployer,
    verifiers: [verifier.address, verifier2.address],
    settlers: [settler.address],
    handOverToTimelock: false,
    ...options,
  });
  for (const who of [provider, client, provider2, outsider]) {
    await (await peerz.token.transfer(who.address, PRZ(10_000))).wait();
  }
  const { chainId } = await ethers.provider.getNetwork();
  return { ...peerz, deployer, provider, client, verifier, settler, outsider, provider2, verifier2, chainId };
}
