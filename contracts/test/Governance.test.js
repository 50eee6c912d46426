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
    const { registry, escrow, rewards, timelock, deployer } = await loadFixture(fixture);
    const admin = ethers.ZeroHash;
    expect(await registry.hasRole(admin, deployer.address)).to.equal(false);
    expect(await escrow.hasRole(admin, deployer.address)).to.equal(false);
    expect(await rewards.hasRole(admin, deployer.address)).to.equal(false);
    expect(await timelock.hasRole(admin, deployer.address)).to.equal(false);
    expect(await registry.hasRole(admin, timelock.target)).to.equal(true);
    // The protocol fee is governed like every other parameter.
    expect(await escrow.hasRole(admin, timelock.target)).to.equal(true);
    expect(await rewards.hasRole(admin, timelock.target)).to.equal(true);
    // Disputed slashes are decided by governance alone.
    expect(await registry.hasRole(id("ARBITER_ROLE"), timelock.target)).to.equal(true);
    expect(await registry.hasRole(id("ARBITER_ROLE"), deployer.address)).to.equal(false);
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
    for (let e = 0n; e < next; e++) await rewards.connect(deployer).postRoot(e, ethers.ZeroHash, [0n, 0n, 0n, 0n]);
    const pay = (pool * newWeights[1]) / 100n;
    const tree = rewardTree([[voter.address, 1, pay]]);
    await expect(rewards.connect(newSettler).postRoot(next, tree.root, [0n, pay, 0n, 0n])).to.emit(rewards, "RootPosted");
    await time.increase(await rewards.rootChallengePeriod());
    await expect(rewards.claim(next, voter.address, 1, pay, tree.proof(voter.address, 1, pay)))
      .to.emit(rewards, "Claimed")
      .withArgs(next, voter.address, 1, pay);
  });

  it("bases the quorum on the votable supply: PRZ held by registry, escrow and rewards does not count (finding 6)", async function () {
    const f = await loadFixture(fixture);
    const { governor, token, escrow, registry, rewards, deployer, voter, outsider } = f;
    // Half of the supply sits in the escrow, some in the registry and the reward pool: none of it can vote.
    await token.connect(deployer).approve(escrow.target, PRZ(50_000_000));
    await escrow.connect(deployer).deposit(PRZ(50_000_000));
    await token.connect(deployer).approve(rewards.target, PRZ(1_000));
    await rewards.connect(deployer).fund(PRZ(1_000));
    await mine(1);
    const t = (await ethers.provider.getBlockNumber()) - 1;
    const supply = await token.getPastTotalSupply(t);
    const locked = await token.getPastLockedSupply(t);
    expect(locked).to.equal(PRZ(50_001_000));
    expect(await token.lockedSupply()).to.equal(locked);
    for (const c of [registry, escrow, rewards]) expect(await token.isNonVotingHolder(c.target)).to.equal(true);
    expect(await governor.quorum(t)).to.equal(((supply - locked) * 4n) / 100n);

    // A voter with 3M of the ~50M votable PRZ: above 4% of the votable supply (2M), below 4% of all (4M).
    await token.connect(voter).transfer(outsider.address, PRZ(7_000_000));
    await mine(1);
    const p = proposal(f, [3n, 3n, 3n, 3n]);
    const { proposalId } = await propose(f, p);
    await mine((await governor.votingDelay()) + 1n);
    await governor.connect(voter).castVote(proposalId, VOTE.For);
    await mine(await governor.votingPeriod());
    const snapshot = await governor.proposalSnapshot(proposalId);
    expect(await governor.quorum(snapshot)).to.be.lessThan(PRZ(3_000_000));
    expect((await token.getPastTotalSupply(snapshot)) * 4n / 100n).to.be.greaterThan(PRZ(3_000_000));
    expect(await governor.state(proposalId)).to.equal(State.Succeeded);
  });

  it("bounds the governor's own settings (voting delay, voting period, proposal threshold, quorum)", async function () {
    const { token, timelock } = await loadFixture(fixture);
    const G = await ethers.getContractFactory("PeerzGovernor");
    const deploy = (delay, period, threshold, quorum) => G.deploy(token.target, timelock.target, delay, period, threshold, quorum);
    await expect(deploy(216_001n, 50n, 0n, 4n)).to.be.revertedWithCustomError(G, "OutOfBounds");
    await expect(deploy(1n, 9n, 0n, 4n)).to.be.revertedWithCustomError(G, "OutOfBounds");
    await expect(deploy(1n, 216_001n, 0n, 4n)).to.be.revertedWithCustomError(G, "OutOfBounds");
    await expect(deploy(1n, 50n, PRZ(1_000_000) + 1n, 4n)).to.be.revertedWithCustomError(G, "OutOfBounds");
    await expect(deploy(1n, 50n, 0n, 0n)).to.be.revertedWithCustomError(G, "OutOfBounds");
    await expect(deploy(1n, 50n, 0n, 51n)).to.be.revertedWithCustomError(G, "OutOfBounds");
    const low = await deploy(0n, 10n, 0n, 1n);
    expect([await low.votingDelay(), await low.votingPeriod(), await low.quorumNumerator()]).to.deep.equal([0n, 10n, 1n]);
    const high = await deploy(216_000n, 216_000n, PRZ(1_000_000), 50n);
    expect([await high.votingDelay(), await high.votingPeriod(), await high.proposalThreshold(), await high.quorumNumerator()]).to.deep.equal([
      216_000n,
      216_000n,
      PRZ(1_000_000),
      50n,
    ]);
  });

  it("refuses an out-of-bounds setting even when a proposal passes (the execution reverts)", async function () {
    const f = await loadFixture(fixture);
    const { governor, voter } = f;
    const p = {
      targets: [governor.target],
      values: [0n],
      calldatas: [governor.interface.encodeFunctionData("updateQuorumNumerator", [0n])],
      description: "quorum to zero",
    };
    const { descriptionHash } = await propose(f, p);
    const proposalId = await governor.hashProposal(p.targets, p.values, p.calldatas, descriptionHash);
    await mine((await governor.votingDelay()) + 1n);
    await governor.connect(voter).castVote(proposalId, VOTE.For);
    await mine(await governor.votingPeriod());
    await governor.queue(p.targets, p.values, p.calldatas, descriptionHash);
    await time.increase(await f.timelock.getMinDelay());
    await expect(governor.execute(p.targets, p.values, p.calldatas, descriptionHash)).to.be.revertedWithCustomError(governor, "OutOfBounds");
    expect(await governor.quorumNumerator()).to.equal(4n);
  });

  it("can veto a settlement root through the timelock when the root challenge period outlasts vote and delay", async function () {
    const [deployer, voter] = await ethers.getSigners();
    const peerz = await deployPeerz(ethers, {
      deployer,
      settlers: [deployer.address],
      handOverToTimelock: true,
      rootChallengePeriod: 7n * 24n * 3600n,
    });
    const { token, governor, rewards, timelock } = peerz;
    await token.transfer(voter.address, PRZ(10_000_000));
    await token.connect(voter).delegate(voter.address);
    await time.increaseTo((await rewards.epochStart(1n)) + 1n);
    const pay = await rewards.rolePool(0n, 0);
    const tree = rewardTree([[deployer.address, 0, pay]]);
    await rewards.connect(deployer).postRoot(0n, tree.root, [pay, 0n, 0n, 0n]);
    const p = {
      targets: [rewards.target],
      values: [0n],
      calldatas: [rewards.interface.encodeFunctionData("vetoRoot", [0n])],
      description: "veto epoch 0",
    };
    await governor.connect(voter).propose(p.targets, p.values, p.calldatas, p.description);
    const descriptionHash = id(p.description);
    const proposalId = await governor.hashProposal(p.targets, p.values, p.calldatas, descriptionHash);
    await mine((await governor.votingDelay()) + 1n);
    await governor.connect(voter).castVote(proposalId, VOTE.For);
    await mine(await governor.votingPeriod());
    await governor.queue(p.targets, p.values, p.calldatas, descriptionHash);
    await time.increase(await timelock.getMinDelay());
    await expect(governor.execute(p.targets, p.values, p.calldatas, descriptionHash)).to.emit(rewards, "RootVetoed");
    await time.increaseTo(await rewards.claimsOpenAt(0n));
    await expect(rewards.claim(0n, deployer.address, 0, pay, tree.proof(deployer.address, 0, pay))).to.be.revertedWithCustomError(
      rewards,
      "EpochIsVetoed",
    );
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
