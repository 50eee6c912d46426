import { expect } from "chai";
import { network } from "hardhat";
import { TypedDataEncoder } from "ethers";
import { deployedPeerz } from "./lib/fixture.js";
import { PRZ, VOUCHER_TYPES, escrowDomain, registryDomain } from "./lib/helpers.js";

const { ethers, networkHelpers } = await network.getOrCreate();
const { loadFixture, time } = networkHelpers;

describe("PaymentEscrow", function () {
  async function funded() {
    const f = await deployedPeerz(ethers);
    await f.token.connect(f.client).approve(await f.escrow.getAddress(), PRZ(1_000));
    await f.escrow.connect(f.client).deposit(PRZ(1_000));
    return f;
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
    it("credits the client and pulls the tokens", async function () {
      const f = await loadFixture(funded);
      expect(await f.escrow.balanceOf(f.client.address)).to.equal(PRZ(1_000));
      expect(await f.token.balanceOf(await f.escrow.getAddress())).to.equal(PRZ(1_000));
      await f.token.connect(f.client).approve(await f.escrow.getAddress(), PRZ(5));
      await expect(f.escrow.connect(f.client).deposit(PRZ(5)))
        .to.emit(f.escrow, "Deposited")
        .withArgs(f.client.address, PRZ(5), PRZ(1_005));
    });

    it("rejects zero and unapproved deposits", async function () {
      const f = await loadFixture(funded);
      await expect(f.escrow.connect(f.client).deposit(0n)).to.be.revertedWithCustomError(f.escrow, "ZeroAmount");
      await expect(f.escrow.connect(f.outsider).deposit(1n)).to.be.revertedWithCustomError(f.token, "ERC20InsufficientAllowance");
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
        .withArgs(client.address, provider.address, 1n, PRZ(10), PRZ(10));
      const v3 = voucher(f, PRZ(25), 3n);
      await expect(escrow.connect(provider).redeem(v3, await sign(f, v3)))
        .to.emit(escrow, "Redeemed")
        .withArgs(client.address, provider.address, 3n, PRZ(25), PRZ(15));
      expect(await token.balanceOf(provider.address)).to.equal(before + PRZ(25));
      expect(await escrow.redeemed(client.address, provider.address)).to.equal(PRZ(25));
      expect(await escrow.lastNonce(client.address, provider.address)).to.equal(3n);
      expect(await escrow.balanceOf(client.address)).to.equal(PRZ(975));
    });

    it("accepts a newer voucher with the same cumulative amount, paying nothing and consuming the nonce", async function () {
      const f = await loadFixture(funded);
      const v1 = voucher(f, PRZ(10), 1n);
      await f.escrow.connect(f.provider).redeem(v1, await sign(f, v1));
      const v2 = voucher(f, PRZ(10), 2n);
      await expect(f.escrow.connect(f.provider).redeem(v2, await sign(f, v2)))
        .to.emit(f.escrow, "Redeemed")
        .withArgs(f.client.address, f.provider.address, 2n, PRZ(10), 0n);
      expect(await f.escrow.lastNonce(f.client.address, f.provider.address)).to.equal(2n);
      expect(await f.escrow.balanceOf(f.client.address)).to.equal(PRZ(990));
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
      expect(await escrow.balanceOf(client.address)).to.equal(PRZ(1_000));
    });

    it("rejects a voucher above the client's deposit", async function () {
      const f = await loadFixture(funded);
      const v = voucher(f, PRZ(1_001), 1n);
      await expect(f.escrow.connect(f.provider).redeem(v, await sign(f, v)))
        .to.be.revertedWithCustomError(f.escrow, "InsufficientBalance")
        .withArgs(PRZ(1_001), PRZ(1_000));
    });
  });

  describe("withdrawal", function () {
    it("rejects an early withdrawal and pays after the delay", async function () {
      const f = await loadFixture(funded);
      const { escrow, token, client } = f;
      await expect(escrow.connect(client).withdraw()).to.be.revertedWithCustomError(escrow, "NoWithdrawalRequested");
      await expect(escrow.connect(client).requestWithdrawal(PRZ(400))).to.emit(escrow, "WithdrawalRequested");
      const [, release] = await escrow.pendingWithdrawal(client.address);
      await time.setNextBlockTimestamp(release - 1n);
      await expect(escrow.connect(client).withdraw()).to.be.revertedWithCustomError(escrow, "WithdrawalNotReady").withArgs(release);
      await time.setNextBlockTimestamp(release);
      const before = await token.balanceOf(client.address);
      await expect(escrow.connect(client).withdraw()).to.emit(escrow, "Withdrawn").withArgs(client.address, PRZ(400));
      expect(await token.balanceOf(client.address)).to.equal(before + PRZ(400));
      expect(await escrow.balanceOf(client.address)).to.equal(PRZ(600));
    });

    it("lets providers redeem during the delay; the client then gets only what is left", async function () {
      const f = await loadFixture(funded);
      const { escrow, client, provider } = f;
      await escrow.connect(client).requestWithdrawal(PRZ(1_000));
      const v = voucher(f, PRZ(300), 1n);
      await escrow.connect(provider).redeem(v, await sign(f, v));
      await time.increase(24 * 3600);
      await expect(escrow.connect(client).withdraw()).to.emit(escrow, "Withdrawn").withArgs(client.address, PRZ(700));
      expect(await escrow.balanceOf(client.address)).to.equal(0n);
    });

    it("rejects a zero or oversized request", async function () {
      const f = await loadFixture(funded);
      await expect(f.escrow.connect(f.client).requestWithdrawal(0n)).to.be.revertedWithCustomError(f.escrow, "ZeroAmount");
      await expect(f.escrow.connect(f.client).requestWithdrawal(PRZ(1_001)))
        .to.be.revertedWithCustomError(f.escrow, "InsufficientBalance")
        .withArgs(PRZ(1_001), PRZ(1_000));
    });
  });
});
