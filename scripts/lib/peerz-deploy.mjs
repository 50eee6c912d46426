// Deploys the Peerz contracts in the documented order (docs/contracts.md) with an ethers signer.
// Shared by the Hardhat tests and scripts/deploy-contracts.mjs so both exercise the same wiring.

/** Defaults suited to a devnet; every field can be overridden. Amounts are in PRZ wei. */
export const DEFAULTS = Object.freeze({
  genesisSupply: 100_000_000n * 10n ** 18n,
  minStake: 1_000n * 10n ** 18n,
  unbondingDelay: 7n * 24n * 3600n,
  slashBps: 5_000,
  challengePeriod: 24n * 3600n,
  withdrawalDelay: 24n * 3600n,
  // 5 % of every redemption goes to the reward pool; settlement caps rewards at half the fees the work paid, so
  // paying oneself to farm rewards loses money (docs/economics.md, "Self-dealing").
  protocolFeeBps: 500,
  epochLength: 24n * 3600n,
  initialEmission: 100_000n * 10n ** 18n,
  halvingInterval: 365n,
  roleWeights: [60n, 20n, 15n, 5n],
  // Longer than a veto's round trip (voting period + the 2-day timelock), so governance can stop a bad root.
  rootChallengePeriod: 3n * 24n * 3600n,
  claimWindowEpochs: 52n,
  timelockDelay: 2n * 24n * 3600n,
  votingDelay: 1n,
  votingPeriod: 50n,
  proposalThreshold: 0n,
  quorumPercent: 4n,
});

/**
 * @param {import("ethers")} ethers the Hardhat ethers object (`(await network.connect()).ethers`)
 * @param {object} options overrides of DEFAULTS plus:
 *   deployer (signer; default first account), genesisHolder (default deployer),
 *   verifiers / settlers (addresses granted VERIFIER_ROLE / SETTLEMENT_ROLE at deployment),
 *   handOverToTimelock (default true: the timelock ends as sole admin and arbiter; false keeps the deployer as
 *   admin and arbiter beside the timelock's arbiter role, devnet only)
 * @returns the contracts and the addresses
 */
export async function deployPeerz(ethers, options = {}) {
  const o = { ...DEFAULTS, ...options };
  const deployer = o.deployer ?? (await ethers.getSigners())[0];
  const deployerAddress = await deployer.getAddress();
  const deploy = async (name, ...args) => {
    const c = await ethers.deployContract(name, args, deployer);
    await c.waitForDeployment();
    return c;
  };
  const send = async (promise) => (await promise).wait();

  const token = await deploy("PeerzToken", o.genesisHolder ?? deployerAddress, o.genesisSupply);
  // The deployer is the timelock's bootstrap admin only until the governor is wired in.
  const timelock = await deploy("PeerzTimelock", o.timelockDelay, [], [ethers.ZeroAddress], deployerAddress);
  const governor = await deploy(
    "PeerzGovernor",
    await token.getAddress(),
    await timelock.getAddress(),
    o.votingDelay,
    o.votingPeriod,
    o.proposalThreshold,
    o.quorumPercent,
  );
  const registry = await deploy(
    "ProviderRegistry",
    await token.getAddress(),
    deployerAddress,
    o.minStake,
    o.unbondingDelay,
    o.slashBps,
    o.challengePeriod,
  );
  const escrow = await deploy("PaymentEscrow", await token.getAddress(), o.withdrawalDelay);
  const rewards = await deploy(
    "EpochRewards",
    await token.getAddress(),
    deployerAddress,
    o.epochLength,
    o.initialEmission,
    o.halvingInterval,
    o.roleWeights,
    o.rootChallengePeriod,
    o.claimWindowEpochs,
  );

  await send(token.connect(deployer).setMinter(await rewards.getAddress()));
  // PRZ held by these contracts can never vote: the governor's quorum counts only the rest.
  await send(
    token.connect(deployer).setNonVotingHolders([await registry.getAddress(), await escrow.getAddress(), await rewards.getAddress()]),
  );
  await send(registry.connect(deployer).setRewardPool(await rewards.getAddress()));
  await send(escrow.connect(deployer).setRewardPool(await rewards.getAddress()));
  await send(escrow.connect(deployer).setProtocolFee(o.protocolFeeBps));
  for (const v of o.verifiers ?? []) await send(registry.connect(deployer).grantRole(await registry.VERIFIER_ROLE(), v));
  for (const s of o.settlers ?? []) await send(rewards.connect(deployer).grantRole(await rewards.SETTLEMENT_ROLE(), s));

  const governorAddress = await governor.getAddress();
  await send(timelock.connect(deployer).grantRole(await timelock.PROPOSER_ROLE(), governorAddress));
  await send(timelock.connect(deployer).grantRole(await timelock.CANCELLER_ROLE(), governorAddress));

  // Disputed slashes are decided by governance: the timelock is always an arbiter.
  const timelockAddress = await timelock.getAddress();
  const arbiter = await registry.ARBITER_ROLE();
  await send(registry.connect(deployer).grantRole(arbiter, timelockAddress));

  const handOver = o.handOverToTimelock ?? true;
  if (handOver) {
    const admin = await registry.DEFAULT_ADMIN_ROLE();
    for (const c of [registry, escrow, rewards]) {
      await send(c.connect(deployer).grantRole(admin, timelockAddress));
      await send(c.connect(deployer).renounceRole(admin, deployerAddress));
    }
    await send(registry.connect(deployer).renounceRole(arbiter, deployerAddress));
    await send(timelock.connect(deployer).renounceRole(await timelock.DEFAULT_ADMIN_ROLE(), deployerAddress));
  }

  const contracts = { token, timelock, governor, registry, escrow, rewards };
  const addresses = {};
  for (const [k, c] of Object.entries(contracts)) addresses[k] = await c.getAddress();
  return { ...contracts, addresses, deployer };
}
