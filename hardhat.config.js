// Hardhat 3 configuration for the Peerz contracts.
// The compiler is the pinned solc-js from node_modules, so `npx hardhat compile` never downloads anything.
// Artifacts land in artifacts/contracts/<File>.sol/<Name>.json (consumed by chain/Peerz.Chain; see docs/contracts.md).
import { createRequire } from "node:module";
import { defineConfig } from "hardhat/config";
import hardhatToolboxMochaEthers from "@nomicfoundation/hardhat-toolbox-mocha-ethers";

const require = createRequire(import.meta.url);

export default defineConfig({
  plugins: [hardhatToolboxMochaEthers],
  solidity: {
    version: "0.8.37",
    // An absolute path is required; a relative one fails.
    path: require.resolve("solc/soljson.js"),
    settings: {
      optimizer: { enabled: true, runs: 200 },
    },
  },
  networks: {
    // A running devnet node (`npx hardhat node`); its unlocked accounts sign. PEERZ_RPC_URL overrides the URL.
    devnet: {
      type: "http",
      chainType: "l1",
      url: process.env.PEERZ_RPC_URL ?? "http://127.0.0.1:8545",
    },
  },
  paths: {
    sources: "contracts",
    tests: { mocha: "contracts/test" },
  },
  test: {
    mocha: { timeout: 60000 },
  },
});
