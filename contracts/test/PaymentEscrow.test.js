import { expect } from "chai";
import { network } from "hardhat";
import { TypedDataEncoder } from "ethers";
import { deployedPeerz } from "./lib/fixture.js";
import { PRZ, VOUCHER_TYPES, escrowDomain, registryDomain } from "./lib/helpers.js";

const { ethers, networkHelpers } = await network.getOrCreate();
const { loadFixture, time } = networkHelpers;

describe("PaymentEscrow", function () {
  // 1,000 PRZ deposited, 500 of them reserved in the lane of `provider`.
  async function funded() {
    const f = await deployedPeerz(ethers);
    await f.token.connect(f.client).approve(await f.escrow.getAddress(), PRZ(1_000));
    await f.escrow.connect(f.client).deposit(PRZ(1_000));
    await f.escrow.connect(f.client).reserve(f.provider.address, PRZ(500));
    return f;
  }

  async function laneOf(f, provider = f.provider) {
    const [amount, releasing, releaseTime] = await f.escrow.lane(f.client.address, provider.address);
    return { amount, releasing, releaseTime };
  }

  function voucher(f, cumulativeAmount, nonce, overrides = {}) {
    return { client: f.client.address, provider: f.provider.address, cumulativeAmount, nonce, ...overrides };
  }

  async function sign(f, v, { signer = f.client, escrow = f.escrow, chainId = f.chainId } = {}) {
    return signer.signTypedData(await escrowDomain(escrow, chainId), VOUCHER_TYPES, v);
  }

  it("rejects a zero token address", async function () {
    const Escrow = await ethers.getContractFactory("PaymentEscrow");
    await expect(Escrow.deploy(ethers.ZeroAddress, 60n)).to.be.revertedWithCustomError(Escrow, "ZeroAddress");
  });

  describe("deposit", function () {
    it("credits the client's unreserved balance and pulls the tokens", async function () {
      const f = await loadFixture(funded);
      expect(await f.escrow.balanceOf(f.client.address)).to.equal(PRZ(500));
      expect(await f.token.balanceOf(await f.escrow.getAddress())).to.equal(PRZ(1_000));
      await f.token.connect(f.client).approve(await f.escrow.getAddress(), PRZ(5));
      await expect(f.escrow.connect(f.client).deposit(PRZ(5)))
        .to.emit(f.escrow, "Deposited")
        .withArgs(f.client.address, PRZ(5), PRZ(505));
    });

    it("rejects zero and unapproved deposits", async function () {
      const f = await loadFixture(funded);
      await expect(f.escrow.connect(f.client).deposit(0n)).to.be.revertedWithCustomError(f.escrow, "ZeroAmount");
      await expect(f.escrow.connect(f.outsider).deposit(1n)).to.be.revertedWithCustomError(f.token, "ERC20InsufficientAllowance");
    });
  });

  describe("lanes", function () {
    it("reserve moves unreserved balance into the provider's lane", async function () {
      const f = await loadFixture(funded);
      const { escrow, client, provider } = f;
      expect(await laneOf(f)).to.deep.equal({ amount: PRZ(500), releasing: 0n, releaseTime: 0n });
      expect(await escrow.spendable(client.address, provider.address)).to.equal(PRZ(500));
      await expect(escrow.connect(client).reserve(provider.address, PRZ(100)))
        .to.emit(escrow, "Reserved")
        .withArgs(client.address, provider.address, PRZ(100), PRZ(600));
      expect(await escrow.balanceOf(client.address)).to.equal(PRZ(400));
      expect((await laneOf(f)).amount).to.equal(PRZ(600));
    });

    it("rejects a zero, unbacked or provider-less reservation", async function () {
      const f = await loadFixture(funded);
      const { escrow, client, provider } = f;
      await expect(escrow.connect(client).reserve(provider.address, 0n)).to.be.revertedWithCustomError(escrow, "ZeroAmount");
      await expect(escrow.connect(client).reserve(ethers.ZeroAddress, 1n)).to.be.revertedWithCustomError(escrow, "ZeroAddress");
      await expect(escrow.connect(client).reserve(provider.address, PRZ(501)))
        .to.be.revertedWithCustomError(escrow, "InsufficientBalance")
        .withArgs(PRZ(501), PRZ(500));
    });

    it("double spend: one deposit cannot pay two providers; provider B is never paid from A's lane (finding 2)", async function () {
      const f = await loadFixture(funded);
      const { escrow, token, client, provider, provider2 } = f;
      // The client puts the rest of its deposit in A's lane too: B has no lane at all.
      await escrow.connect(client).reserve(provider.address, PRZ(500));
      expect(await escrow.spendable(client.address, provider2.address)).to.equal(0n);
      // The client signs both providers a voucher for the whole deposit.
      const toA = voucher(f, PRZ(1_000), 1n);
      const toB = voucher(f, PRZ(1_000), 1n, { provider: provider2.address });
      // B, checking its lane (redeemed + spendable = 0), would refuse the voucher; even if it computed, the
      // escrow refuses to pay it out of A's lane.
      await expect(escrow.connect(provider2).redeem(toB, await sign(f, toB)))
        .to.be.revertedWithCustomError(escrow, "InsufficientLane")
        .withArgs(PRZ(1_000), 0n);
      const smallB = voucher(f, 1n, 1n, { provider: provider2.address });
      await expect(escrow.connect(provider2).redeem(smallB, await sign(f, smallB)))
        .to.be.revertedWithCustomError(escrow, "InsufficientLane")
        .withArgs(1n, 0n);
      // A is paid in full (less the protocol fee), whatever B did first.
      const before = await token.balanceOf(provider.address);
      await escrow.connect(provider).redeem(toA, await sign(f, toA));
      expect(await token.balanceOf(provider.address)).to.equal(before + PRZ(950));
    });

    it("double spend with two lanes: each provider is paid up to its own lane, whichever redeems first", async function () {
      const f = await loadFixture(funded);
      const { escrow, client, provider, provider2 } = f;
      await escrow.connect(client).reserve(provider2.address, PRZ(500));
      const toB = voucher(f, PRZ(500), 1n, { provider: provider2.address });
      const toA = voucher(f, PRZ(500), 1n);
      await escrow.connect(provider2).redeem(toB, await sign(f, toB));
      await expect(escrow.connect(provider).redeem(toA, await sign(f, toA)))
        .to.emit(escrow, "Redeemed")
        .withArgs(client.address, provider.address, 1n, PRZ(500), PRZ(500), PRZ(25));
    });

    it("withdrawal race: after requestRelease spendable drops at once, and vouchers accepted before stay redeemable during the delay (finding 2)", async function () {
      const f = await loadFixture(funded);
      const { escrow, client, provider } = f;
      // The provider accepted work for 300 while spendable was 500 (its bound).
      const accepted = voucher(f, PRZ(300), 1n);
      const acceptedSig = await sign(f, accepted);
      await expect(escrow.connect(client).requestRelease(provider.address, PRZ(500))).to.emit(escrow, "ReleaseRequested");
      const releaseTime = BigInt(await time.latest()) + (await escrow.withdrawalDelay());
      expect(await laneOf(f)).to.deep.equal({ amount: PRZ(500), releasing: PRZ(500), releaseTime });
      // From this block on the provider accepts nothing new...
      expect(await escrow.spendable(client.address, provider.address)).to.equal(0n);
      // ...and the client cannot take the lane back before the delay.
      await time.setNextBlockTimestamp(releaseTime - 1n);
      await expect(escrow.connect(client).release(provider.address))
        .to.be.revertedWithCustomError(escrow, "ReleaseNotReady")
        .withArgs(releaseTime);
      // The voucher accepted before is paid during the delay.
      await expect(escrow.connect(provider).redeem(accepted, acceptedSig))
        .to.emit(escrow, "Redeemed")
        .withArgs(client.address, provider.address, 1n, PRZ(300), PRZ(300), PRZ(15));
      await time.setNextBlockTimestamp(releaseTime);
      await expect(escrow.connect(client).release(provider.address))
        .to.emit(escrow, "Released")
        .withArgs(client.address, provider.address, PRZ(200));
      expect(await laneOf(f)).to.deep.equal({ amount: 0n, releasing: 0n, releaseTime: 0n });
      expect(await escrow.balanceOf(client.address)).to.equal(PRZ(700));
    });

    it("a partial release keeps the rest spendable, and a new request replaces the old one", async function () {
      const f = await loadFixture(funded);
      const { escrow, client, provider } = f;
      await escrow.connect(client).requestRelease(provider.address, PRZ(200));
      expect(await escrow.spendable(client.address, provider.address)).to.equal(PRZ(300));
      await escrow.connect(client).requestRelease(provider.address, PRZ(50));
      expect(await escrow.spendable(client.address, provider.address)).to.equal(PRZ(450));
      await time.increase(await escrow.withdrawalDelay());
      await escrow.connect(client).release(provider.address);
      expect(await laneOf(f)).to.deep.equal({ amount: PRZ(450), releasing: 0n, releaseTime: 0n });
    });

    it("rejects a zero or oversized release request and a release without one", async function () {
      const f = await loadFixture(funded);
      const { escrow, client, provider } = f;
      await expect(escrow.connect(client).requestRelease(provider.address, 0n)).to.be.revertedWithCustomError(escrow, "ZeroAmount");
      await expect(escrow.connect(client).requestRelease(provider.address, PRZ(501)))
        .to.be.revertedWithCustomError(escrow, "InsufficientLane")
        .withArgs(PRZ(501), PRZ(500));
      await expect(escrow.connect(client).release(provider.address)).to.be.revertedWithCustomError(escrow, "NoReleaseRequested");
    });
  });

  describe("redeem", function () {
    it("pays the difference since the last redemption for each newer voucher", async function () {
      const f = await loadFixture(funded);
      const { escrow, token, provider, client } = f;
      const v1 = voucher(f, PRZ(10), 1n);
      const before = await token.balanceOf(provider.address);
      await expect(escrow.connect(provider).redeem(v1, await sign(f, v1)))
        .to.emit(escrow, "Redeemed")
        .withArgs(client.address, provider.address, 1n, PRZ(10), PRZ(10), PRZ(10) / 20n);
      const v3 = voucher(f, PRZ(25), 3n);
      await expect(escrow.connect(provider).redeem(v3, await sign(f, v3)))
        .to.emit(escrow, "Redeemed")
        .withArgs(client.address, provider.address, 3n, PRZ(25), PRZ(15), PRZ(15) / 20n);
      // The provider gets what it redeemed less the 5 % protocol fee; the fee is kept per pair for settlement.
      expect(await token.balanceOf(provider.address)).to.equal(before + PRZ(25) - PRZ(25) / 20n);
      expect(await escrow.feesPaid(client.address, provider.address)).to.equal(PRZ(25) / 20n);
      expect(await escrow.redeemed(client.address, provider.address)).to.equal(PRZ(25));
      expect(await escrow.lastNonce(client.address, provider.address)).to.equal(3n);
      expect((await laneOf(f)).amount).to.equal(PRZ(475));
      expect(await escrow.balanceOf(client.address)).to.equal(PRZ(500));
    });

    it("accepts a newer voucher with the same cumulative amount, paying nothing and consuming the nonce", async function () {
      const f = await loadFixture(funded);
      const v1 = voucher(f, PRZ(10), 1n);
      await f.escrow.connect(f.provider).redeem(v1, await sign(f, v1));
      const v2 = voucher(f, PRZ(10), 2n);
      await expect(f.escrow.connect(f.provider).redeem(v2, await sign(f, v2)))
        .to.emit(f.escrow, "Redeemed")
        .withArgs(f.client.address, f.provider.address, 2n, PRZ(10), 0n, 0n);
      expect(await f.escrow.lastNonce(f.client.address, f.provider.address)).to.equal(2n);
      expect((await laneOf(f)).amount).to.equal(PRZ(490));
    });

    it("voucherDigest equals the EIP-712 hash computed by ethers", async function () {
      const f = await loadFixture(funded);
      const v = voucher(f, PRZ(1), 1n);
      expect(await f.escrow.voucherDigest(v)).to.equal(TypedDataEncoder.hash(await escrowDomain(f.escrow, f.chainId), VOUCHER_TYPES, v));
    });

    it("rejects the replay of a redeemed voucher and an older nonce", async function () {
      const f = await loadFixture(funded);
      const v2 = voucher(f, PRZ(20), 2n);
      const sig = await sign(f, v2);
      await f.escrow.connect(f.provider).redeem(v2, sig);
      await expect(f.escrow.connect(f.provider).redeem(v2, sig)).to.be.revertedWithCustomError(f.escrow, "StaleNonce").withArgs(2n, 2n);
      const v1 = voucher(f, PRZ(30), 1n);
      await expect(f.escrow.connect(f.provider).redeem(v1, await sign(f, v1))).to.be.revertedWithCustomError(f.escrow, "StaleNonce");
    });

    it("rejects a voucher with a lower cumulative amount", async function () {
      const f = await loadFixture(funded);
      const v1 = voucher(f, PRZ(20), 1n);
      await f.escrow.connect(f.provider).redeem(v1, await sign(f, v1));
      const v2 = voucher(f, PRZ(19), 2n);
      await expect(f.escrow.connect(f.provider).redeem(v2, await sign(f, v2)))
        .to.be.revertedWithCustomError(f.escrow, "CumulativeAmountDecreased")
        .withArgs(PRZ(19), PRZ(20));
    });

    it("rejects vouchers of another chain, another contract, another provider or another client", async function () {
      const f = await loadFixture(funded);
      const { escrow, registry, provider, provider2, client, outsider } = f;
      const v = voucher(f, PRZ(10), 1n);
      await expect(escrow.connect(provider).redeem(v, await sign(f, v, { chainId: f.chainId + 1n }))).to.be.revertedWithCustomError(
        escrow,
        "InvalidSignature",
      );
      // Same fields, signed for a second escrow deployment.
      const otherEscrow = await ethers.deployContract("PaymentEscrow", [await f.token.getAddress(), 3600n]);
      await expect(escrow.connect(provider).redeem(v, await sign(f, v, { escrow: otherEscrow }))).to.be.revertedWithCustomError(
        escrow,
        "InvalidSignature",
      );
      // Signed with the registry's domain (another contract's name and address).
      const wrongDomain = await client.signTypedData(await registryDomain(registry, f.chainId), VOUCHER_TYPES, v);
      await expect(escrow.connect(provider).redeem(v, wrongDomain)).to.be.revertedWithCustomError(escrow, "InvalidSignature");
      // Another provider submitting this provider's voucher, or rewriting it to itself.
      const sig = await sign(f, v);
      await expect(escrow.connect(provider2).redeem(v, sig))
        .to.be.revertedWithCustomError(escrow, "NotVoucherProvider")
        .withArgs(provider2.address, provider.address);
      const stolen = { ...v, provider: provider2.address };
      await expect(escrow.connect(provider2).redeem(stolen, sig)).to.be.revertedWithCustomError(escrow, "InvalidSignature");
      // A voucher naming a client who did not sign it.
      const forged = voucher(f, PRZ(10), 1n, { client: outsider.address });
      await expect(escrow.connect(provider).redeem(forged, await sign(f, forged))).to.be.revertedWithCustomError(
        escrow,
        "InvalidSignature",
      );
      expect((await laneOf(f)).amount).to.equal(PRZ(500));
    });

    it("rejects a voucher above the provider's lane, even with unreserved balance left", async function () {
      const f = await loadFixture(funded);
      const v = voucher(f, PRZ(501), 1n);
      await expect(f.escrow.connect(f.provider).redeem(v, await sign(f, v)))
        .to.be.revertedWithCustomError(f.escrow, "InsufficientLane")
        .withArgs(PRZ(501), PRZ(500));
    });
  });

  describe("withdrawal", function () {
    it("rejects an early withdrawal and pays after the delay", async function () {
      const f = await loadFixture(funded);
      const { escrow, token, client } = f;
      await expect(escrow.connect(client).withdraw()).to.be.revertedWithCustomError(escrow, "NoWithdrawalRequested");
      await expect(escrow.connect(client).requestWithdrawal(PRZ(400))).to.emit(escrow, "WithdrawalRequested");
      expect(await escrow.balanceOf(client.address)).to.equal(PRZ(100));
      const [, release] = await escrow.pendingWithdrawal(client.address);
      await time.setNextBlockTimestamp(release - 1n);
      await expect(escrow.connect(client).withdraw()).to.be.revertedWithCustomError(escrow, "WithdrawalNotReady").withArgs(release);
      await time.setNextBlockTimestamp(release);
      const before = await token.balanceOf(client.address);
      await expect(escrow.connect(client).withdraw()).to.emit(escrow, "Withdrawn").withArgs(client.address, PRZ(400));
      expect(await token.balanceOf(client.address)).to.equal(before + PRZ(400));
      expect(await escrow.balanceOf(client.address)).to.equal(PRZ(100));
      expect(await escrow.pendingWithdrawal(client.address)).to.deep.equal([0n, 0n]);
    });

    it("withdrawal race: a request removes the amount from the balance at once, so it can back no new lane (finding 2)", async function () {
      const f = await loadFixture(funded);
      const { escrow, client, provider, provider2 } = f;
      await escrow.connect(client).requestWithdrawal(PRZ(300));
      expect(await escrow.balanceOf(client.address)).to.equal(PRZ(200));
      await expect(escrow.connect(client).reserve(provider2.address, PRZ(201)))
        .to.be.revertedWithCustomError(escrow, "InsufficientBalance")
        .withArgs(PRZ(201), PRZ(200));
      // A second request adds to the first and restarts the delay.
      await time.increase(3600);
      await escrow.connect(client).requestWithdrawal(PRZ(200));
      const [amount, releaseTime] = await escrow.pendingWithdrawal(client.address);
      expect(amount).to.equal(PRZ(500));
      expect(releaseTime).to.equal(BigInt(await time.latest()) + (await escrow.withdrawalDelay()));
      // The lane is untouched: the provider is still paid in full during and after the withdrawal.
      const v = voucher(f, PRZ(500), 1n);
      await escrow.connect(provider).redeem(v, await sign(f, v));
      await time.increaseTo(releaseTime);
      await expect(escrow.connect(client).withdraw()).to.emit(escrow, "Withdrawn").withArgs(client.address, PRZ(500));
      expect(await f.token.balanceOf(escrow.target)).to.equal(0n);
    });

    it("rejects a zero or oversized request", async function () {
      const f = await loadFixture(funded);
      await expect(f.escrow.connect(f.client).requestWithdrawal(0n)).to.be.revertedWithCustomError(f.escrow, "ZeroAmount");
      await expect(f.escrow.connect(f.client).requestWithdrawal(PRZ(501)))
        .to.be.revertedWithCustomError(f.escrow, "InsufficientBalance")
        .withArgs(PRZ(501), PRZ(500));
    });
  });

  describe("protocol fee", function () {
    it("sends the fee of every redemption to the current epoch's reward pool and the rest to the provider", async function () {
      const f = await loadFixture(funded);
      const { escrow, rewards, token, provider, client } = f;
      expect(await escrow.protocolFeeBps()).to.equal(500n);
      expect(await escrow.rewardPool()).to.equal(await rewards.getAddress());
      const epoch = await rewards.currentEpoch();
      const poolBefore = await rewards.epochPool(epoch);
      const providerBefore = await token.balanceOf(provider.address);
      // 199 wei: the fee floors to 9 wei (5 % of 199 = 9.95).
      const v = voucher(f, 199n, 1n);
      await expect(escrow.connect(provider).redeem(v, await sign(f, v)))
        .to.emit(rewards, "Funded")
        .withArgs(await escrow.getAddress(), epoch, 9n);
      expect(await token.balanceOf(provider.address)).to.equal(providerBefore + 190n);
      expect(await rewards.epochPool(epoch)).to.equal(poolBefore + 9n);
      expect(await escrow.feesPaid(client.address, provider.address)).to.equal(9n);
      // A redemption too small for a whole wei of fee pays no fee and records none.
      const tiny = voucher(f, 218n, 2n);
      await escrow.connect(provider).redeem(tiny, await sign(f, tiny));
      expect(await escrow.feesPaid(client.address, provider.address)).to.equal(9n);
      expect(await token.balanceOf(provider.address)).to.equal(providerBefore + 190n + 19n);
    });

    it("is governed and bounded: at most 20 %, never without a reward pool, only by the admin", async function () {
      const f = await loadFixture(funded);
      const { escrow, outsider, deployer } = f;
      await expect(escrow.connect(outsider).setProtocolFee(0)).to.be.revertedWithCustomError(escrow, "AccessControlUnauthorizedAccount");
      await expect(escrow.connect(outsider).setRewardPool(ethers.ZeroAddress)).to.be.revertedWithCustomError(
        escrow,
        "AccessControlUnauthorizedAccount",
      );
      await expect(escrow.connect(deployer).setProtocolFee(2_001)).to.be.revertedWithCustomError(escrow, "FeeOutOfBounds").withArgs(2_001);
      await expect(escrow.connect(deployer).setRewardPool(ethers.ZeroAddress)).to.be.revertedWithCustomError(escrow, "NoRewardPool");
      await expect(escrow.connect(deployer).setRewardPool(outsider.address))
        .to.be.revertedWithCustomError(escrow, "NotAContract")
        .withArgs(outsider.address);
      await expect(escrow.connect(deployer).setProtocolFee(2_000)).to.emit(escrow, "ProtocolFeeSet").withArgs(2_000);
      await escrow.connect(deployer).setProtocolFee(0);
      await expect(escrow.connect(deployer).setRewardPool(ethers.ZeroAddress)).to.emit(escrow, "RewardPoolSet").withArgs(ethers.ZeroAddress);
      await expect(escrow.connect(deployer).setProtocolFee(1)).to.be.revertedWithCustomError(escrow, "NoRewardPool");
      // With no fee the provider gets everything.
      const before = await f.token.balanceOf(f.provider.address);
      const v = voucher(f, PRZ(10), 1n);
      await escrow.connect(f.provider).redeem(v, await sign(f, v));
      expect(await f.token.balanceOf(f.provider.address)).to.equal(before + PRZ(10));
    });

    it("dust cannot grief: 1-wei deposits, lanes, vouchers and pool donations by an outsider change nothing for others", async function () {
      const f = await loadFixture(funded);
      const { escrow, rewards, token, provider, client, outsider } = f;
      const epoch = await rewards.currentEpoch();
      const poolBefore = await rewards.epochPool(epoch);
      await token.connect(outsider).approve(await escrow.getAddress(), 2n);
      await escrow.connect(outsider).deposit(2n);
      await escrow.connect(outsider).reserve(provider.address, 1n);
      await token.connect(outsider).approve(await rewards.getAddress(), 1n);
      await rewards.connect(outsider).fund(1n);
      // The provider redeems the outsider's 1-wei voucher (fee floors to 0) and the real client's, unaffected.
      const dust = { client: outsider.address, provider: provider.address, cumulativeAmount: 1n, nonce: 1n };
      await escrow.connect(provider).redeem(dust, await outsider.signTypedData(await escrowDomain(escrow, f.chainId), VOUCHER_TYPES, dust));
      expect(await escrow.feesPaid(outsider.address, provider.address)).to.equal(0n);
      const v = voucher(f, PRZ(100), 1n);
      await escrow.connect(provider).redeem(v, await sign(f, v));
      expect(await escrow.feesPaid(client.address, provider.address)).to.equal(PRZ(5));
      expect(await rewards.epochPool(epoch)).to.equal(poolBefore + 1n + PRZ(5));
      // Nothing iterates over clients or lanes: the client's own withdrawal is what it was.
      await escrow.connect(client).requestWithdrawal(PRZ(500));
      await time.increase(await escrow.withdrawalDelay());
      await expect(escrow.connect(client).withdraw()).to.emit(escrow, "Withdrawn").withArgs(client.address, PRZ(500));
    });

    it("a fee change applies to later redemptions only, and a redeemed voucher is never charged again", async function () {
      const f = await loadFixture(funded);
      const { escrow, provider, client, deployer } = f;
      const v1 = voucher(f, PRZ(100), 1n);
      await escrow.connect(provider).redeem(v1, await sign(f, v1));
      await escrow.connect(deployer).setProtocolFee(1_000);
      const v2 = voucher(f, PRZ(150), 2n);
      await escrow.connect(provider).redeem(v2, await sign(f, v2));
      expect(await escrow.feesPaid(client.address, provider.address)).to.equal(PRZ(5) + PRZ(5));
      expect(await escrow.redeemed(client.address, provider.address)).to.equal(PRZ(150));
    });
  });
});
