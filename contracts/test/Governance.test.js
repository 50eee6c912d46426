import { expect } from "chai";
import { network } from "hardhat";
import { id } from "ethers";
import { deployPeerz } from "../../scripts/lib/peerz-deploy.mjs";
import { PRZ, rewardTree } from "./lib/helpers.js";

const { ethers, networkHelpers } = await network.getOrCreate();
const { loadFixture, time, mine } = networkHelpers;

// OpenZeppelin IGovernor.ProposalState
const State = { Pending: 0n, Active: 1n, Defeated: 3n, Succeeded: 4n, Queued: 5n, Executed: 7n };
const VOTE = { Against: 0, For: 1, Abstain: 2 };

describe("PeerzGovernor + timelock", function () {
  async function fixture() {
    const [deployer, voter, newVerifier, newSettler, outsider] = await ethers.getSigners();
    const peerz = await deployPeerz(ethers, { deployer, settlers: [deployer.address], handOverToTimelock: true });
    await peerz.token.transfer(voter.address, PRZ(10_000_000));
    await peerz.token.connect(deployer).delegate(deployer.address);
    await peerz.token.connect(voter).delegate(voter.address);
    await mine(1);
    return { ...peerz, deployer, voter, newVerifier, newSettler, outsider };
  }

  function proposal(f, weights) {
    const { rewards, registry, newVerifier, newSettler } = f;
    const calls = [
      [rewards, "setRoleWeights", [weights]],
      [registry, "setMinStake", [PRZ(2_000)]],
      [registry, "setSlashBps", [2_500]],
      [registry, "setUnbondingDelay", [3_600n]],
      [registry, "grantRole", [id("VERIFIER_ROLE"), newVerifier.address]],
      [rewards, "grantRole", [id("SETTLEMENT_ROLE"), newSettler.address]],
    ];
    return {
      targets: calls.map(([c]) => c.target),
      values: calls.map(() => 0n),
      calldatas: calls.map(([c, fn, args]) => c.interface.encodeFunctionData(fn, args)),
      description: `Peerz parameters ${weights.join("/")}`,
    };
  }

  async function propose(f, p) {
    const { governor, voter } = f;
    await governor.connect(voter).propose(p.targets, p.values, p.calldatas, p.description);
    const descriptionHash = id(p.description);
    const proposalId = await governor.hashProposal(p.targets, p.values, p.calldatas, descriptionHash);
    return { proposalId, descriptionHash };
  }

  it("leaves the deployer with no admin power after hand-over", async function () {
    const { registry, rewards, timelock, deployer } = await loadFixture(fixture);
    const admin = ethers.ZeroHash;
    expect(await registry.hasRole(admin, deployer.address)).to.equal(false);
    expect(await rewards.hasRole(admin, deployer.address)).to.equal(false);
    expect(await timelock.hasRole(admin, deployer.address)).to.equal(false);
    expect(await registry.hasRole(admin, timelock.target)).to.equal(true);
    expect(await rewards.hasRole(admin, timelock.target)).to.equal(true);
    await expect(rewards.connect(deployer).setRoleWeights([1n, 1n, 1n, 1n])).to.be.revertedWithCustomError(
      rewards,
      "AccessControlUnauthorizedAccount",
    );
    await expect(registry.connect(deployer).setMinStake(0n)).to.be.revertedWithCustomError(registry, "AccessControlUnauthorizedAccount");
    // Nor can anyone schedule directly on the timelock: only the governor proposes.
    await expect(
      timelock.connect(deployer).schedule(rewards.target, 0n, "0x", ethers.ZeroHash, ethers.ZeroHash, 2n * 24n * 3600n),
    ).to.be.revertedWithCustomError(timelock, "AccessControlUnauthorizedAccount");
  });

  it("runs propose → vote → queue → execute, and the next epoch uses the new role weights", async function () {
    const f = await loadFixture(fixture);
    const { governor, timelock, rewards, registry, voter, deployer, newVerifier, newSettler } = f;
    const newWeights = [10n, 40n, 30n, 20n];
    const p = proposal(f, newWeights);
    const { proposalId, descriptionHash } = await propose(f, p);
    expect(await governor.state(proposalId)).to.equal(State.Pending);

    await mine((await governor.votingDelay()) + 1n);
    expect(await governor.state(proposalId)).to.equal(State.Active);
    await expect(governor.connect(voter).castVote(proposalId, VOTE.For)).to.emit(governor, "VoteCast");
    await governor.connect(deployer).castVote(proposalId, VOTE.Abstain);
    await mine(await governor.votingPeriod());
    expect(await governor.state(proposalId)).to.equal(State.Succeeded);

    // Passing the vote is not enough: execution needs the queue and the timelock delay.
    await expect(governor.execute(p.targets, p.values, p.calldatas, descriptionHash)).to.be.revertedWithCustomError(
      governor,
      "GovernorUnexpectedProposalState",
    );
    await governor.queue(p.targets, p.values, p.calldatas, descriptionHash);
    expect(await governor.state(proposalId)).to.equal(State.Queued);
    await expect(governor.execute(p.targets, p.values, p.calldatas, descriptionHash)).to.be.revertedWithCustomError(
      timelock,
      "TimelockUnexpectedOperationState",
    );
    await time.increase(await timelock.getMinDelay());
    const epochAtExecution = await rewards.currentEpoch();
    await expect(governor.execute(p.targets, p.values, p.calldatas, descriptionHash))
      .to.emit(rewards, "RoleWeightsSet")
      .withArgs(newWeights, epochAtExecution + 1n);
    expect(await governor.state(proposalId)).to.equal(State.Executed);

    expect(await registry.minStake()).to.equal(PRZ(2_000));
    expect(await registry.slashBps()).to.equal(2_500n);
    expect(await registry.unbondingDelay()).to.equal(3_600n);
    expect(await registry.hasRole(id("VERIFIER_ROLE"), newVerifier.address)).to.equal(true);
    expect(await rewards.hasRole(id("SETTLEMENT_ROLE"), newSettler.address)).to.equal(true);

    // The running epoch keeps its weights; the next one uses the new ones.
    const oldWeights = [60n, 20n, 15n, 5n];
    expect(await rewards.roleWeights()).to.deep.equal(oldWeights);
    const next = epochAtExecution + 1n;
    await time.increaseTo((await rewards.epochStart(next + 1n)) + 1n);
    expect(await rewards.roleWeightsAt(next)).to.deep.equal(newWeights);
    const pool = await rewards.epochPool(next);
    for (let role = 0; role < 4; role++) {
      expect(await rewards.rolePool(next, role)).to.equal((pool * newWeights[role]) / 100n);
    }

    // Settlement closes epochs in order; the new settler posts the next epoch with the new split.
    for (let e = 0n; e < next; e++) await rewards.connect(deployer).postRoot(e, ethers.ZeroHash, 0n);
    const pay = (pool * newWeights[1]) / 100n;
    const tree = rewardTree([[voter.address, pay]]);
    await expect(rewards.connect(newSettler).postRoot(next, tree.root, pay)).to.emit(rewards, "RootPosted");
    await expect(rewards.claim(next, voter.address, pay, tree.proof(voter.address, pay)))
      .to.emit(rewards, "Claimed")
      .withArgs(next, voter.address, pay);
  });

  it("changes nothing when the vote is defeated", async function () {
    const f = await loadFixture(fixture);
    const { governor, rewards, voter } = f;
    const p = proposal(f, [1n, 1n, 1n, 1n]);
    const { proposalId, descriptionHash } = await propose(f, p);
    await mine((await governor.votingDelay()) + 1n);
    await governor.connect(voter).castVote(proposalId, VOTE.Against);
    await mine(await governor.votingPeriod());
    expect(await governor.state(proposalId)).to.equal(State.Defeated);
    await expect(governor.queue(p.targets, p.values, p.calldatas, descriptionHash)).to.be.revertedWithCustomError(
      governor,
      "GovernorUnexpectedProposalState",
    );
    expect(await rewards.roleWeightsAt((await rewards.currentEpoch()) + 1n)).to.deep.equal([60n, 20n, 15n, 5n]);
  });

  it("gives no weight to an account without delegated votes, and rejects a double vote", async function () {
    const f = await loadFixture(fixture);
    const { governor, voter, outsider } = f;
    const { proposalId } = await propose(f, proposal(f, [2n, 2n, 2n, 2n]));
    await mine((await governor.votingDelay()) + 1n);
    await governor.connect(outsider).castVote(proposalId, VOTE.For);
    const [, forVotes] = await governor.proposalVotes(proposalId);
    expect(forVotes).to.equal(0n);
    await governor.connect(voter).castVote(proposalId, VOTE.For);
    await expect(governor.connect(voter).castVote(proposalId, VOTE.For)).to.be.revertedWithCustomError(governor, "GovernorAlreadyCastVote");
  });
});
