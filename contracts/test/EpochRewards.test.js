import { expect } from "chai";
import { network } from "hardhat";
import { AbiCoder, keccak256, zeroPadValue, toBeHex, concat } from "ethers";
import { deployedPeerz } from "./lib/fixture.js";
import { PRZ, rewardLeaf, rewardTree } from "./lib/helpers.js";

const { ethers, networkHelpers } = await network.getOrCreate();
const { loadFixture, time } = networkHelpers;

const DAY = 24n * 3600n;
const HOUR = 3600n;
const ROLE = { Inference: 0, Training: 1, Verification: 2, Routing: 3 };
const NO_TOTALS = [0n, 0n, 0n, 0n];

describe("EpochRewards", function () {
  async function fixture() {
    return deployedPeerz(ethers, { initialEmission: PRZ(1_000), halvingInterval: 2n, roleWeights: [60n, 20n, 15n, 5n] });
  }

  async function toEpoch(rewards, epoch) {
    await time.increaseTo((await rewards.epochStart(epoch)) + 1n);
  }

  // Epoch 0 (pool 1,000: role pools 600/200/150/50) posted with role-tagged leaves; claims not open yet.
  async function postedEpoch0() {
    const f = await fixture();
    const { rewards, settler, provider, provider2, verifier } = f;
    const entries = [
      [provider.address, ROLE.Inference, PRZ(500)],
      [provider2.address, ROLE.Inference, PRZ(50)],
      [provider2.address, ROLE.Training, PRZ(150)],
      [verifier.address, ROLE.Verification, PRZ(150)],
    ];
    const tree = rewardTree(entries);
    await toEpoch(rewards, 1n);
    await rewards.connect(settler).postRoot(0n, tree.root, tree.totals);
    const postedAt = BigInt(await time.latest());
    return { ...f, tree, entries, postedAt };
  }

  async function openEpoch0() {
    const f = await postedEpoch0();
    await time.increaseTo(await f.rewards.claimsOpenAt(0n));
    return f;
  }

  it("rejects a zero address, a zero epoch length, invalid initial weights and claim timing out of bounds", async function () {
    const { token, deployer } = await loadFixture(fixture);
    const Rewards = await ethers.getContractFactory("EpochRewards");
    const ok = [1n, 1n, 1n, 1n];
    const deploy = (t, g, len, w, period = HOUR, window = 52n) => Rewards.deploy(t, g, len, 1n, 0n, w, period, window);
    await expect(deploy(ethers.ZeroAddress, deployer.address, DAY, ok)).to.be.revertedWithCustomError(Rewards, "ZeroAddress");
    await expect(deploy(token.target, ethers.ZeroAddress, DAY, ok)).to.be.revertedWithCustomError(Rewards, "ZeroAddress");
    await expect(deploy(token.target, deployer.address, 0n, ok)).to.be.revertedWithCustomError(Rewards, "InvalidEpochLength");
    await expect(deploy(token.target, deployer.address, DAY, [0n, 0n, 0n, 0n])).to.be.revertedWithCustomError(Rewards, "InvalidWeights");
    await expect(deploy(token.target, deployer.address, DAY, ok, 7n * DAY + 1n)).to.be.revertedWithCustomError(Rewards, "OutOfBounds");
    await expect(deploy(token.target, deployer.address, DAY, ok, HOUR, 1n)).to.be.revertedWithCustomError(Rewards, "OutOfBounds");
    await expect(deploy(token.target, deployer.address, DAY, ok, HOUR, 521n)).to.be.revertedWithCustomError(Rewards, "OutOfBounds");
    const r = await deploy(token.target, deployer.address, DAY, ok, 7n * DAY, 520n);
    expect([await r.rootChallengePeriod(), await r.claimWindowEpochs()]).to.deep.equal([7n * DAY, 520n]);
    await deploy(token.target, deployer.address, DAY, ok, 0n, 2n);
  });

  it("emits nothing once the emission has halved away, and a constant amount without halving", async function () {
    const { token, deployer } = await loadFixture(fixture);
    const halving = await ethers.deployContract("EpochRewards", [token.target, deployer.address, DAY, PRZ(1), 1n, [1n, 0n, 0n, 0n], HOUR, 52n]);
    expect(await halving.emissionOf(59n)).to.equal(PRZ(1) >> 59n);
    expect(await halving.emissionOf(60n)).to.equal(0n);
    expect(await halving.emissionOf(10_000n)).to.equal(0n);
    const constant = await ethers.deployContract("EpochRewards", [token.target, deployer.address, DAY, PRZ(1), 0n, [1n, 0n, 0n, 0n], HOUR, 52n]);
    expect(await constant.emissionOf(10_000n)).to.equal(PRZ(1));
  });

  it("reports epochs, emission schedule, weights and role pools", async function () {
    const { rewards } = await loadFixture(fixture);
    expect(await rewards.epochLength()).to.equal(DAY);
    expect(await rewards.currentEpoch()).to.equal(0n);
    expect(await rewards.roleWeights()).to.deep.equal([60n, 20n, 15n, 5n]);
    expect(await rewards.emissionOf(0n)).to.equal(PRZ(1_000));
    expect(await rewards.emissionOf(2n)).to.equal(PRZ(500));
    expect(await rewards.emissionOf(5n)).to.equal(PRZ(250));
    expect(await rewards.epochPool(0n)).to.equal(PRZ(1_000));
    // R_role = R_total · w_role / Σw with Σw = 100.
    expect(await rewards.rolePool(0n, 0)).to.equal(PRZ(600));
    expect(await rewards.rolePool(0n, 1)).to.equal(PRZ(200));
    expect(await rewards.rolePool(0n, 2)).to.equal(PRZ(150));
    expect(await rewards.rolePool(0n, 3)).to.equal(PRZ(50));
    await toEpoch(rewards, 3n);
    expect(await rewards.currentEpoch()).to.equal(3n);
  });

  it("posts a root for a closed epoch with its role totals, mints its emission and rolls the remainder into the next pool", async function () {
    const { rewards, token, postedAt } = await loadFixture(postedEpoch0);
    const [root, total, pool, claimed, posted] = await rewards.getEpoch(0n);
    expect(posted).to.equal(true);
    expect(root).to.not.equal(ethers.ZeroHash);
    expect([total, pool, claimed]).to.deep.equal([PRZ(850), PRZ(1_000), 0n]);
    expect(await rewards.roleTotals(0n)).to.deep.equal([PRZ(550), PRZ(150), PRZ(150), 0n]);
    expect(await rewards.claimsOpenAt(0n)).to.equal(postedAt + HOUR);
    expect(await rewards.epochStatus(0n)).to.deep.equal([52n, false, false]);
    expect(await token.balanceOf(await rewards.getAddress())).to.equal(PRZ(1_000));
    expect(await rewards.epochPool(1n)).to.equal(PRZ(1_000) + PRZ(150));
    expect(await rewards.nextEpochToPost()).to.equal(1n);
  });

  it("role-tagged leaves match an independent ethers computation, and a real claim pays them", async function () {
    const { rewards, token, tree, provider } = await loadFixture(openEpoch0);
    // keccak256(bytes.concat(keccak256(abi.encode(address, uint8, uint256)))) built from raw 32-byte words.
    const words = concat([zeroPadValue(provider.address, 32), toBeHex(ROLE.Inference, 32), toBeHex(PRZ(500), 32)]);
    expect(words).to.equal(AbiCoder.defaultAbiCoder().encode(["address", "uint8", "uint256"], [provider.address, 0, PRZ(500)]));
    const leaf = keccak256(keccak256(words));
    expect(rewardLeaf(provider.address, ROLE.Inference, PRZ(500))).to.equal(leaf);
    const proof = tree.proof(provider.address, ROLE.Inference, PRZ(500));
    // The same account and amount under another role is not in the tree.
    await expect(rewards.claim(0n, provider.address, ROLE.Training, PRZ(500), proof)).to.be.revertedWithCustomError(rewards, "InvalidProof");
    const before = await token.balanceOf(provider.address);
    await expect(rewards.claim(0n, provider.address, ROLE.Inference, PRZ(500), proof))
      .to.emit(rewards, "Claimed")
      .withArgs(0n, provider.address, ROLE.Inference, PRZ(500));
    expect(await token.balanceOf(provider.address)).to.equal(before + PRZ(500));
  });

  it("opens claims only after the root challenge period", async function () {
    const { rewards, tree, provider } = await loadFixture(postedEpoch0);
    const opensAt = await rewards.claimsOpenAt(0n);
    const proof = tree.proof(provider.address, ROLE.Inference, PRZ(500));
    await time.setNextBlockTimestamp(opensAt - 1n);
    await expect(rewards.claim(0n, provider.address, ROLE.Inference, PRZ(500), proof))
      .to.be.revertedWithCustomError(rewards, "ClaimNotOpen")
      .withArgs(0n, opensAt);
    await time.setNextBlockTimestamp(opensAt);
    await expect(rewards.claim(0n, provider.address, ROLE.Inference, PRZ(500), proof)).to.emit(rewards, "Claimed");
  });

  it("pays each (account, role) leaf once", async function () {
    const { rewards, token, tree, entries, outsider } = await loadFixture(openEpoch0);
    for (const [account, role, amount] of entries) {
      const before = await token.balanceOf(account);
      // Anyone may submit the claim; the tokens go to the account.
      await expect(rewards.connect(outsider).claim(0n, account, role, amount, tree.proof(account, role, amount)))
        .to.emit(rewards, "Claimed")
        .withArgs(0n, account, role, amount);
      expect(await token.balanceOf(account)).to.equal(before + amount);
      expect(await rewards.isClaimed(0n, account, role)).to.equal(true);
    }
    const [, , , claimed] = await rewards.getEpoch(0n);
    expect(claimed).to.equal(PRZ(850));
    expect(await rewards.roleClaimed(0n)).to.deep.equal([PRZ(550), PRZ(150), PRZ(150), 0n]);
  });

  it("rejects a double claim", async function () {
    const { rewards, tree, provider2 } = await loadFixture(openEpoch0);
    const proof = tree.proof(provider2.address, ROLE.Training, PRZ(150));
    await rewards.claim(0n, provider2.address, ROLE.Training, PRZ(150), proof);
    await expect(rewards.claim(0n, provider2.address, ROLE.Training, PRZ(150), proof))
      .to.be.revertedWithCustomError(rewards, "AlreadyClaimed")
      .withArgs(0n, provider2.address, ROLE.Training);
    expect(await rewards.isClaimed(0n, provider2.address, ROLE.Inference)).to.equal(false);
    await rewards.claim(0n, provider2.address, ROLE.Inference, PRZ(50), tree.proof(provider2.address, ROLE.Inference, PRZ(50)));
  });

  it("rejects a claim with a wrong proof, a wrong amount, another account, an invalid role or an unposted epoch", async function () {
    const { rewards, tree, provider, provider2, outsider } = await loadFixture(openEpoch0);
    const proof = tree.proof(provider.address, ROLE.Inference, PRZ(500));
    await expect(rewards.claim(0n, provider.address, 0, PRZ(501), proof)).to.be.revertedWithCustomError(rewards, "InvalidProof");
    await expect(rewards.claim(0n, outsider.address, 0, PRZ(500), proof)).to.be.revertedWithCustomError(rewards, "InvalidProof");
    await expect(
      rewards.claim(0n, provider.address, 0, PRZ(500), tree.proof(provider2.address, ROLE.Training, PRZ(150))),
    ).to.be.revertedWithCustomError(rewards, "InvalidProof");
    await expect(rewards.claim(0n, provider.address, 0, PRZ(500), [])).to.be.revertedWithCustomError(rewards, "InvalidProof");
    await expect(rewards.claim(0n, provider.address, 4, PRZ(500), proof)).to.be.revertedWithCustomError(rewards, "InvalidRole").withArgs(4);
    await expect(rewards.claim(1n, provider.address, 0, PRZ(500), proof))
      .to.be.revertedWithCustomError(rewards, "EpochNotPosted")
      .withArgs(1n);
  });

  it("never pays a role more than its posted total, even if the root's leaves add up to more", async function () {
    const f = await loadFixture(fixture);
    const { rewards, settler, provider, provider2 } = f;
    const tree = rewardTree([
      [provider.address, ROLE.Training, PRZ(150)],
      [provider2.address, ROLE.Training, PRZ(150)],
    ]);
    await toEpoch(rewards, 1n);
    await rewards.connect(settler).postRoot(0n, tree.root, [0n, PRZ(200), 0n, 0n]);
    await time.increase(HOUR);
    await rewards.claim(0n, provider.address, ROLE.Training, PRZ(150), tree.proof(provider.address, ROLE.Training, PRZ(150)));
    await expect(rewards.claim(0n, provider2.address, ROLE.Training, PRZ(150), tree.proof(provider2.address, ROLE.Training, PRZ(150))))
      .to.be.revertedWithCustomError(rewards, "ClaimExceedsTotal")
      .withArgs(0n, ROLE.Training);
  });

  it("a settlement root that tries to put one role's share into another role reverts (finding 4)", async function () {
    const f = await loadFixture(fixture);
    const { rewards, settler } = f;
    await toEpoch(rewards, 1n);
    // Pool 1,000 → 600/200/150/50. Moving the unused routing share (50) to inference keeps the sum (≤ 1,000)
    // but exceeds the inference pool.
    const root = rewardTree([[settler.address, ROLE.Inference, PRZ(650)]]).root;
    await expect(rewards.connect(settler).postRoot(0n, root, [PRZ(650), 0n, 0n, 0n]))
      .to.be.revertedWithCustomError(rewards, "RoleTotalExceedsPool")
      .withArgs(ROLE.Inference, PRZ(650), PRZ(600));
    // Likewise every role: the whole pool cannot go to a single role.
    for (const [role, pool] of [[1, PRZ(200)], [2, PRZ(150)], [3, PRZ(50)]]) {
      const totals = [0n, 0n, 0n, 0n];
      totals[role] = pool + 1n;
      await expect(rewards.connect(settler).postRoot(0n, root, totals))
        .to.be.revertedWithCustomError(rewards, "RoleTotalExceedsPool")
        .withArgs(role, pool + 1n, pool);
    }
    await expect(rewards.connect(settler).postRoot(0n, root, [PRZ(600), PRZ(200), PRZ(150), PRZ(50)])).to.emit(rewards, "RootPosted");
  });

  it("rejects a role total above its pool by one wei (rounding dust stays in the pool)", async function () {
    const f = await loadFixture(fixture);
    const { rewards, settler, deployer, token } = f;
    // Weights 1,1,1 and 0 split an odd pool with dust: 3 · floor(pool/3) < pool.
    await rewards.connect(deployer).setRoleWeights([1n, 1n, 1n, 0n]);
    await token.approve(await rewards.getAddress(), 1n);
    await rewards.fund(1n);
    await toEpoch(rewards, 1n);
    const tree = rewardTree([[settler.address, ROLE.Inference, 1n]]);
    await toEpoch(rewards, 2n);
    await rewards.connect(settler).postRoot(0n, tree.root, [1n, 0n, 0n, 0n]);
    const pool1 = await rewards.epochPool(1n);
    const share = pool1 / 3n;
    expect(3n * share).to.be.lessThan(pool1);
    await expect(rewards.connect(settler).postRoot(1n, tree.root, [share, share, share + 1n, 0n]))
      .to.be.revertedWithCustomError(rewards, "RoleTotalExceedsPool")
      .withArgs(ROLE.Verification, share + 1n, share);
    await expect(rewards.connect(settler).postRoot(1n, tree.root, [share, share, share, 0n])).to.emit(rewards, "RootPosted");
    expect(await rewards.epochPool(2n)).to.equal(PRZ(500) + (pool1 - 3n * share));
  });

  it("rejects posting by others, out of order, for an open epoch, twice, or an empty root with a total", async function () {
    const { rewards, settler, outsider } = await loadFixture(fixture);
    const root = rewardTree([[outsider.address, 0, 1n]]).root;
    const one = [1n, 0n, 0n, 0n];
    await expect(rewards.connect(settler).postRoot(0n, root, one))
      .to.be.revertedWithCustomError(rewards, "EpochNotClosed")
      .withArgs(0n, 0n);
    await toEpoch(rewards, 2n);
    await expect(rewards.connect(outsider).postRoot(0n, root, one))
      .to.be.revertedWithCustomError(rewards, "AccessControlUnauthorizedAccount")
      .withArgs(outsider.address, await rewards.SETTLEMENT_ROLE());
    await expect(rewards.connect(settler).postRoot(1n, root, one)).to.be.revertedWithCustomError(rewards, "EpochNotNext").withArgs(1n, 0n);
    await expect(rewards.connect(settler).postRoot(0n, ethers.ZeroHash, one)).to.be.revertedWithCustomError(rewards, "EmptyRoot");
    await rewards.connect(settler).postRoot(0n, root, one);
    await expect(rewards.connect(settler).postRoot(0n, root, one)).to.be.revertedWithCustomError(rewards, "EpochNotNext");
    await expect(rewards.connect(settler).postRoot(1n, ethers.ZeroHash, NO_TOTALS)).to.emit(rewards, "RootPosted");
  });

  describe("vetoRoot", function () {
    it("lets governance veto a root before claims open; its total returns to the current pool and nothing is claimable", async function () {
      const f = await loadFixture(postedEpoch0);
      const { rewards, deployer, tree, provider } = f;
      const current = await rewards.currentEpoch();
      const poolBefore = await rewards.epochPool(current);
      await expect(rewards.connect(deployer).vetoRoot(0n)).to.emit(rewards, "RootVetoed").withArgs(0n, PRZ(850), current);
      expect(await rewards.epochPool(current)).to.equal(poolBefore + PRZ(850));
      expect((await rewards.epochStatus(0n))[1]).to.equal(true);
      await time.increase(HOUR);
      await expect(rewards.claim(0n, provider.address, 0, PRZ(500), tree.proof(provider.address, 0, PRZ(500))))
        .to.be.revertedWithCustomError(rewards, "EpochIsVetoed")
        .withArgs(0n);
      await expect(rewards.connect(deployer).vetoRoot(0n)).to.be.revertedWithCustomError(rewards, "EpochIsVetoed");
      await expect(rewards.sweep(0n)).to.be.revertedWithCustomError(rewards, "EpochIsVetoed");
    });

    it("refuses a veto once claims are open, of an unposted epoch, or by anyone but governance", async function () {
      const f = await loadFixture(postedEpoch0);
      const { rewards, deployer, settler, outsider } = f;
      for (const who of [settler, outsider]) {
        await expect(rewards.connect(who).vetoRoot(0n))
          .to.be.revertedWithCustomError(rewards, "AccessControlUnauthorizedAccount")
          .withArgs(who.address, ethers.ZeroHash);
      }
      await expect(rewards.connect(deployer).vetoRoot(1n)).to.be.revertedWithCustomError(rewards, "EpochNotPosted");
      const opensAt = await rewards.claimsOpenAt(0n);
      await time.setNextBlockTimestamp(opensAt);
      await expect(rewards.connect(deployer).vetoRoot(0n))
        .to.be.revertedWithCustomError(rewards, "ClaimsAlreadyOpen")
        .withArgs(0n, opensAt);
    });
  });

  describe("claim window and sweep", function () {
    it("sweeps the unclaimed rest back to the pool after the claim window, and refuses late claims (finding 8)", async function () {
      const f = await loadFixture(openEpoch0);
      const { rewards, tree, provider, provider2, outsider } = f;
      await rewards.claim(0n, provider.address, 0, PRZ(500), tree.proof(provider.address, 0, PRZ(500)));
      const window = await rewards.claimWindowEpochs();
      // Last epoch of the window: claims still work, sweeping does not.
      await toEpoch(rewards, window);
      await expect(rewards.sweep(0n)).to.be.revertedWithCustomError(rewards, "ClaimWindowNotOver").withArgs(0n, window);
      await rewards.claim(0n, provider2.address, 1, PRZ(150), tree.proof(provider2.address, 1, PRZ(150)));
      await toEpoch(rewards, window + 1n);
      await expect(rewards.claim(0n, provider2.address, 0, PRZ(50), tree.proof(provider2.address, 0, PRZ(50))))
        .to.be.revertedWithCustomError(rewards, "ClaimExpired")
        .withArgs(0n, window);
      const current = await rewards.currentEpoch();
      const poolBefore = await rewards.epochPool(current);
      await expect(rewards.connect(outsider).sweep(0n)).to.emit(rewards, "Swept").withArgs(0n, PRZ(200), current);
      expect(await rewards.epochPool(current)).to.equal(poolBefore + PRZ(200));
      expect((await rewards.epochStatus(0n))[2]).to.equal(true);
      await expect(rewards.sweep(0n)).to.be.revertedWithCustomError(rewards, "AlreadySwept").withArgs(0n);
      await expect(rewards.sweep(1n)).to.be.revertedWithCustomError(rewards, "EpochNotPosted");
    });

    it("keeps the timing a root was posted with when governance changes it later", async function () {
      const f = await loadFixture(postedEpoch0);
      const { rewards, deployer, postedAt } = f;
      await rewards.connect(deployer).setClaimWindow(2n);
      await rewards.connect(deployer).setRootChallengePeriod(7n * DAY);
      expect(await rewards.epochStatus(0n)).to.deep.equal([52n, false, false]);
      expect(await rewards.claimsOpenAt(0n)).to.equal(postedAt + HOUR);
    });
  });

  it("adds slashed stake and donations to the current epoch's pool", async function () {
    const { rewards, token, outsider } = await loadFixture(fixture);
    await token.connect(outsider).approve(await rewards.getAddress(), PRZ(7));
    await expect(rewards.connect(outsider).fund(PRZ(7))).to.emit(rewards, "Funded").withArgs(outsider.address, 0n, PRZ(7));
    expect(await rewards.epochPool(0n)).to.equal(PRZ(1_007));
    await expect(rewards.fund(0n)).to.be.revertedWithCustomError(rewards, "ZeroAmount");
  });

  it("bounds the root challenge period [0, 7 days] and the claim window [2, 520] epochs (finding 5)", async function () {
    const { rewards, deployer, settler } = await loadFixture(fixture);
    const a = rewards.connect(deployer);
    await expect(a.setRootChallengePeriod(7n * DAY + 1n)).to.be.revertedWithCustomError(rewards, "OutOfBounds");
    await expect(a.setRootChallengePeriod(0n)).to.emit(rewards, "RootChallengePeriodSet").withArgs(0n);
    await expect(a.setRootChallengePeriod(7n * DAY)).to.emit(rewards, "RootChallengePeriodSet").withArgs(7n * DAY);
    await expect(a.setClaimWindow(1n)).to.be.revertedWithCustomError(rewards, "OutOfBounds");
    await expect(a.setClaimWindow(521n)).to.be.revertedWithCustomError(rewards, "OutOfBounds");
    await expect(a.setClaimWindow(2n)).to.emit(rewards, "ClaimWindowSet").withArgs(2n);
    await expect(a.setClaimWindow(520n)).to.emit(rewards, "ClaimWindowSet").withArgs(520n);
    expect([await rewards.rootChallengePeriod(), await rewards.claimWindowEpochs()]).to.deep.equal([7n * DAY, 520n]);
    await expect(rewards.connect(settler).setRootChallengePeriod(0n)).to.be.revertedWithCustomError(rewards, "AccessControlUnauthorizedAccount");
    await expect(rewards.connect(settler).setClaimWindow(10n)).to.be.revertedWithCustomError(rewards, "AccessControlUnauthorizedAccount");
  });

  it("rejects weights changed outside governance, and invalid weights", async function () {
    const { rewards, deployer, settler, outsider } = await loadFixture(fixture);
    for (const who of [outsider, settler]) {
      await expect(rewards.connect(who).setRoleWeights([1n, 1n, 1n, 1n]))
        .to.be.revertedWithCustomError(rewards, "AccessControlUnauthorizedAccount")
        .withArgs(who.address, ethers.ZeroHash);
    }
    await expect(rewards.connect(deployer).setRoleWeights([0n, 0n, 0n, 0n])).to.be.revertedWithCustomError(rewards, "InvalidWeights");
    await expect(rewards.connect(deployer).setRoleWeights([1_000_001n, 0n, 0n, 0n])).to.be.revertedWithCustomError(
      rewards,
      "InvalidWeights",
    );
    expect(await rewards.roleWeights()).to.deep.equal([60n, 20n, 15n, 5n]);
  });

  it("applies new weights from the next epoch, keeping the current one", async function () {
    const { rewards, deployer } = await loadFixture(fixture);
    await expect(rewards.connect(deployer).setRoleWeights([25n, 25n, 25n, 25n]))
      .to.emit(rewards, "RoleWeightsSet")
      .withArgs([25n, 25n, 25n, 25n], 1n);
    expect(await rewards.roleWeights()).to.deep.equal([60n, 20n, 15n, 5n]);
    expect(await rewards.roleWeightsAt(1n)).to.deep.equal([25n, 25n, 25n, 25n]);
    await toEpoch(rewards, 1n);
    expect(await rewards.roleWeights()).to.deep.equal([25n, 25n, 25n, 25n]);
    expect(await rewards.roleWeightsAt(0n)).to.deep.equal([60n, 20n, 15n, 5n]);
  });
});
