import { expect } from "chai";
import { network } from "hardhat";
import { deployedPeerz } from "./lib/fixture.js";
import { PRZ, rewardTree } from "./lib/helpers.js";

const { ethers, networkHelpers } = await network.getOrCreate();
const { loadFixture, time } = networkHelpers;

const DAY = 24n * 3600n;

describe("EpochRewards", function () {
  async function fixture() {
    return deployedPeerz(ethers, { initialEmission: PRZ(1_000), halvingInterval: 2n, roleWeights: [60n, 20n, 15n, 5n] });
  }

  async function toEpoch(rewards, epoch) {
    await time.increaseTo((await rewards.epochStart(epoch)) + 1n);
  }

  async function postedEpoch0() {
    const f = await fixture();
    const { rewards, settler, provider, provider2, verifier } = f;
    const entries = [
      [provider.address, PRZ(500)],
      [provider2.address, PRZ(300)],
      [verifier.address, PRZ(150)],
    ];
    const tree = rewardTree(entries);
    await toEpoch(rewards, 1n);
    await rewards.connect(settler).postRoot(0n, tree.root, PRZ(950));
    return { ...f, tree, entries };
  }

  it("rejects a zero address, a zero epoch length and invalid initial weights", async function () {
    const { token, deployer } = await loadFixture(fixture);
    const Rewards = await ethers.getContractFactory("EpochRewards");
    const ok = [1n, 1n, 1n, 1n];
    await expect(Rewards.deploy(ethers.ZeroAddress, deployer.address, DAY, 1n, 0n, ok)).to.be.revertedWithCustomError(Rewards, "ZeroAddress");
    await expect(Rewards.deploy(token.target, ethers.ZeroAddress, DAY, 1n, 0n, ok)).to.be.revertedWithCustomError(Rewards, "ZeroAddress");
    await expect(Rewards.deploy(token.target, deployer.address, 0n, 1n, 0n, ok)).to.be.revertedWithCustomError(Rewards, "InvalidEpochLength");
    await expect(Rewards.deploy(token.target, deployer.address, DAY, 1n, 0n, [0n, 0n, 0n, 0n])).to.be.revertedWithCustomError(
      Rewards,
      "InvalidWeights",
    );
  });

  it("emits nothing once the emission has halved away, and a constant amount without halving", async function () {
    const { token, deployer } = await loadFixture(fixture);
    const halving = await ethers.deployContract("EpochRewards", [token.target, deployer.address, DAY, PRZ(1), 1n, [1n, 0n, 0n, 0n]]);
    expect(await halving.emissionOf(59n)).to.equal(PRZ(1) >> 59n);
    expect(await halving.emissionOf(60n)).to.equal(0n);
    expect(await halving.emissionOf(10_000n)).to.equal(0n);
    const constant = await ethers.deployContract("EpochRewards", [token.target, deployer.address, DAY, PRZ(1), 0n, [1n, 0n, 0n, 0n]]);
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

  it("posts a root for a closed epoch, mints its emission and rolls the remainder into the next pool", async function () {
    const { rewards, token } = await loadFixture(postedEpoch0);
    const [root, total, pool, claimed, posted] = await rewards.getEpoch(0n);
    expect(posted).to.equal(true);
    expect(root).to.not.equal(ethers.ZeroHash);
    expect([total, pool, claimed]).to.deep.equal([PRZ(950), PRZ(1_000), 0n]);
    expect(await token.balanceOf(await rewards.getAddress())).to.equal(PRZ(1_000));
    expect(await rewards.epochPool(1n)).to.equal(PRZ(1_000) + PRZ(50));
    expect(await rewards.nextEpochToPost()).to.equal(1n);
  });

  it("pays each account its amount once", async function () {
    const { rewards, token, tree, entries, outsider } = await loadFixture(postedEpoch0);
    for (const [account, amount] of entries) {
      const before = await token.balanceOf(account);
      // Anyone may submit the claim; the tokens go to the account.
      await expect(rewards.connect(outsider).claim(0n, account, amount, tree.proof(account, amount)))
        .to.emit(rewards, "Claimed")
        .withArgs(0n, account, amount);
      expect(await token.balanceOf(account)).to.equal(before + amount);
      expect(await rewards.isClaimed(0n, account)).to.equal(true);
    }
    const [, , , claimed] = await rewards.getEpoch(0n);
    expect(claimed).to.equal(PRZ(950));
  });

  it("rejects a double claim", async function () {
    const { rewards, tree, provider } = await loadFixture(postedEpoch0);
    const proof = tree.proof(provider.address, PRZ(500));
    await rewards.claim(0n, provider.address, PRZ(500), proof);
    await expect(rewards.claim(0n, provider.address, PRZ(500), proof))
      .to.be.revertedWithCustomError(rewards, "AlreadyClaimed")
      .withArgs(0n, provider.address);
  });

  it("rejects a claim with a wrong proof, a wrong amount, another account or an unposted epoch", async function () {
    const { rewards, tree, provider, provider2, outsider } = await loadFixture(postedEpoch0);
    const proof = tree.proof(provider.address, PRZ(500));
    await expect(rewards.claim(0n, provider.address, PRZ(501), proof)).to.be.revertedWithCustomError(rewards, "InvalidProof");
    await expect(rewards.claim(0n, outsider.address, PRZ(500), proof)).to.be.revertedWithCustomError(rewards, "InvalidProof");
    await expect(rewards.claim(0n, provider.address, PRZ(500), tree.proof(provider2.address, PRZ(300)))).to.be.revertedWithCustomError(
      rewards,
      "InvalidProof",
    );
    await expect(rewards.claim(0n, provider.address, PRZ(500), [])).to.be.revertedWithCustomError(rewards, "InvalidProof");
    await expect(rewards.claim(1n, provider.address, PRZ(500), proof))
      .to.be.revertedWithCustomError(rewards, "EpochNotPosted")
      .withArgs(1n);
  });

  it("never pays more than the posted total, even if the root's leaves add up to more", async function () {
    const f = await loadFixture(fixture);
    const { rewards, settler, provider, provider2 } = f;
    const tree = rewardTree([
      [provider.address, PRZ(600)],
      [provider2.address, PRZ(600)],
    ]);
    await toEpoch(rewards, 1n);
    await rewards.connect(settler).postRoot(0n, tree.root, PRZ(1_000));
    await rewards.claim(0n, provider.address, PRZ(600), tree.proof(provider.address, PRZ(600)));
    await expect(rewards.claim(0n, provider2.address, PRZ(600), tree.proof(provider2.address, PRZ(600))))
      .to.be.revertedWithCustomError(rewards, "ClaimExceedsTotal")
      .withArgs(0n);
  });

  it("rejects a total above the role pools (rounding dust stays in the pool)", async function () {
    const f = await loadFixture(fixture);
    const { rewards, settler, deployer, token } = f;
    // Weights 1,1,1 and 0 split an odd pool with dust: 3 · floor(pool/3) < pool.
    await rewards.connect(deployer).setRoleWeights([1n, 1n, 1n, 0n]);
    await token.approve(await rewards.getAddress(), 1n);
    await rewards.fund(1n);
    await toEpoch(rewards, 1n);
    const tree = rewardTree([[settler.address, 1n]]);
    await toEpoch(rewards, 2n);
    await rewards.connect(settler).postRoot(0n, tree.root, 1n);
    const pool1 = await rewards.epochPool(1n);
    const allocatable = 3n * (pool1 / 3n);
    expect(allocatable).to.be.lessThan(pool1);
    await expect(rewards.connect(settler).postRoot(1n, tree.root, allocatable + 1n))
      .to.be.revertedWithCustomError(rewards, "TotalExceedsPool")
      .withArgs(allocatable + 1n, allocatable);
    await expect(rewards.connect(settler).postRoot(1n, tree.root, allocatable)).to.emit(rewards, "RootPosted");
    expect(await rewards.epochPool(2n)).to.equal(PRZ(500) + (pool1 - allocatable));
  });

  it("rejects posting by others, out of order, for an open epoch, twice, or an empty root with a total", async function () {
    const { rewards, settler, outsider } = await loadFixture(fixture);
    const root = rewardTree([[outsider.address, 1n]]).root;
    await expect(rewards.connect(settler).postRoot(0n, root, 1n))
      .to.be.revertedWithCustomError(rewards, "EpochNotClosed")
      .withArgs(0n, 0n);
    await toEpoch(rewards, 2n);
    await expect(rewards.connect(outsider).postRoot(0n, root, 1n))
      .to.be.revertedWithCustomError(rewards, "AccessControlUnauthorizedAccount")
      .withArgs(outsider.address, await rewards.SETTLEMENT_ROLE());
    await expect(rewards.connect(settler).postRoot(1n, root, 1n)).to.be.revertedWithCustomError(rewards, "EpochNotNext").withArgs(1n, 0n);
    await expect(rewards.connect(settler).postRoot(0n, ethers.ZeroHash, 1n)).to.be.revertedWithCustomError(rewards, "EmptyRoot");
    await rewards.connect(settler).postRoot(0n, root, 1n);
    await expect(rewards.connect(settler).postRoot(0n, root, 1n)).to.be.revertedWithCustomError(rewards, "EpochNotNext");
  });

  it("adds slashed stake and donations to the current epoch's pool", async function () {
    const { rewards, token, outsider } = await loadFixture(fixture);
    await token.connect(outsider).approve(await rewards.getAddress(), PRZ(7));
    await expect(rewards.connect(outsider).fund(PRZ(7))).to.emit(rewards, "Funded").withArgs(outsider.address, 0n, PRZ(7));
    expect(await rewards.epochPool(0n)).to.equal(PRZ(1_007));
    await expect(rewards.fund(0n)).to.be.revertedWithCustomError(rewards, "ZeroAmount");
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
