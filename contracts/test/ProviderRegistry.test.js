import { expect } from "chai";
import { network } from "hardhat";
import { Wallet, TypedDataEncoder, keccak256, toUtf8Bytes } from "ethers";
import { deployedPeerz } from "./lib/fixture.js";
import { PRZ, RECEIPT_TYPES, makeReceipt, registryDomain } from "./lib/helpers.js";

const { ethers, networkHelpers } = await network.getOrCreate();
const { loadFixture, time } = networkHelpers;

const PEER_ID = "0x0024080112201111111111111111111111111111111111111111111111111111111111111111";
const EVIDENCE = keccak256(toUtf8Bytes("recomputed output differs"));

describe("ProviderRegistry", function () {
  async function fixture() {
    const f = await deployedPeerz(ethers);
    const signerKey = Wallet.createRandom();
    return { ...f, signerKey };
  }

  async function staked() {
    const f = await fixture();
    const { registry, token, provider, signerKey } = f;
    await token.connect(provider).approve(await registry.getAddress(), PRZ(2_000));
    await registry.connect(provider).stake(PRZ(2_000), signerKey.address, PEER_ID, 5n);
    return f;
  }

  async function signReceipt(f, key, receipt, registry = f.registry, chainId = f.chainId) {
    return key.signTypedData(await registryDomain(registry, chainId), RECEIPT_TYPES, receipt);
  }

  it("rejects a zero token or governance address and a slash fraction above 100%", async function () {
    const { token, deployer } = await loadFixture(fixture);
    const Registry = await ethers.getContractFactory("ProviderRegistry");
    await expect(Registry.deploy(ethers.ZeroAddress, deployer.address, 1n, 1n, 1)).to.be.revertedWithCustomError(Registry, "ZeroAddress");
    await expect(Registry.deploy(token.target, ethers.ZeroAddress, 1n, 1n, 1)).to.be.revertedWithCustomError(Registry, "ZeroAddress");
    await expect(Registry.deploy(token.target, deployer.address, 1n, 1n, 10_001))
      .to.be.revertedWithCustomError(Registry, "InvalidBps")
      .withArgs(10_001);
  });

  describe("stake", function () {
    it("registers a provider with signer, peer id and price, pulling the tokens", async function () {
      const { registry, token, provider, signerKey } = await loadFixture(fixture);
      await token.connect(provider).approve(await registry.getAddress(), PRZ(1_500));
      await expect(registry.connect(provider).stake(PRZ(1_500), signerKey.address, PEER_ID, 7n))
        .to.emit(registry, "Staked")
        .withArgs(provider.address, PRZ(1_500), PRZ(1_500), signerKey.address, PEER_ID, 7n);
      const p = await registry.getProvider(provider.address);
      expect(p.stakeAmount).to.equal(PRZ(1_500));
      expect(p.signer).to.equal(signerKey.address);
      expect(p.peerId).to.equal(PEER_ID);
      expect(p.pricePerToken).to.equal(7n);
      expect(p.jailed).to.equal(false);
      expect(await registry.isActive(provider.address)).to.equal(true);
      expect(await token.balanceOf(await registry.getAddress())).to.equal(PRZ(1_500));
    });

    it("tops up an existing stake", async function () {
      const { registry, token, provider, signerKey } = await loadFixture(staked);
      await token.connect(provider).approve(await registry.getAddress(), PRZ(500));
      await registry.connect(provider).stake(PRZ(500), signerKey.address, PEER_ID, 9n);
      const p = await registry.getProvider(provider.address);
      expect(p.stakeAmount).to.equal(PRZ(2_500));
      expect(p.pricePerToken).to.equal(9n);
    });

    it("rejects a stake below the minimum, a zero signer, an empty or oversized peer id, a missing approval", async function () {
      const { registry, token, provider, signerKey } = await loadFixture(fixture);
      const r = registry.connect(provider);
      await token.connect(provider).approve(await registry.getAddress(), PRZ(5_000));
      await expect(r.stake(PRZ(999), signerKey.address, PEER_ID, 1n))
        .to.be.revertedWithCustomError(registry, "BelowMinStake")
        .withArgs(PRZ(999), PRZ(1_000));
      await expect(r.stake(PRZ(1_000), ethers.ZeroAddress, PEER_ID, 1n)).to.be.revertedWithCustomError(registry, "ZeroAddress");
      await expect(r.stake(PRZ(1_000), signerKey.address, "0x", 1n)).to.be.revertedWithCustomError(registry, "InvalidPeerId");
      await expect(r.stake(PRZ(1_000), signerKey.address, "0x" + "11".repeat(129), 1n)).to.be.revertedWithCustomError(
        registry,
        "InvalidPeerId",
      );
      await token.connect(provider).approve(await registry.getAddress(), 0n);
      await expect(r.stake(PRZ(1_000), signerKey.address, PEER_ID, 1n)).to.be.revertedWithCustomError(
        token,
        "ERC20InsufficientAllowance",
      );
    });
  });

  describe("unbonding", function () {
    it("withdraws only after the unbonding delay, and the provider turns inactive below the minimum", async function () {
      const { registry, token, provider } = await loadFixture(staked);
      const delay = await registry.unbondingDelay();
      await expect(registry.connect(provider).requestUnbond(PRZ(1_500))).to.emit(registry, "UnbondRequested");
      expect(await registry.isActive(provider.address)).to.equal(false);
      const requestedAt = BigInt((await ethers.provider.getBlock("latest")).timestamp);
      const p = await registry.getProvider(provider.address);
      expect(p.unbondingReleaseTime).to.equal(requestedAt + delay);
      await expect(registry.connect(provider).withdraw())
        .to.be.revertedWithCustomError(registry, "UnbondingNotFinished")
        .withArgs(p.unbondingReleaseTime);
      await time.setNextBlockTimestamp(p.unbondingReleaseTime - 1n);
      await expect(registry.connect(provider).withdraw()).to.be.revertedWithCustomError(registry, "UnbondingNotFinished");
      await time.setNextBlockTimestamp(p.unbondingReleaseTime);
      const before = await token.balanceOf(provider.address);
      await expect(registry.connect(provider).withdraw()).to.emit(registry, "Withdrawn").withArgs(provider.address, PRZ(1_500));
      expect(await token.balanceOf(provider.address)).to.equal(before + PRZ(1_500));
      await expect(registry.connect(provider).withdraw()).to.be.revertedWithCustomError(registry, "NothingToWithdraw");
    });

    it("rejects unbonding zero or more than the stake", async function () {
      const { registry, provider } = await loadFixture(staked);
      await expect(registry.connect(provider).requestUnbond(0n)).to.be.revertedWithCustomError(registry, "ZeroAmount");
      await expect(registry.connect(provider).requestUnbond(PRZ(2_001)))
        .to.be.revertedWithCustomError(registry, "InsufficientStake")
        .withArgs(PRZ(2_001), PRZ(2_000));
    });
  });

  describe("setPrice", function () {
    it("changes the price of a registered provider only", async function () {
      const { registry, provider, outsider } = await loadFixture(staked);
      await expect(registry.connect(provider).setPrice(11n)).to.emit(registry, "PriceSet").withArgs(provider.address, 11n);
      expect((await registry.getProvider(provider.address)).pricePerToken).to.equal(11n);
      await expect(registry.connect(outsider).setPrice(1n)).to.be.revertedWithCustomError(registry, "NotRegistered");
    });
  });

  describe("receiptDigest", function () {
    it("equals the EIP-712 hash computed by ethers", async function () {
      const { registry, chainId } = await loadFixture(fixture);
      const receipt = makeReceipt();
      const expected = TypedDataEncoder.hash(await registryDomain(registry, chainId), RECEIPT_TYPES, receipt);
      expect(await registry.receiptDigest(receipt)).to.equal(expected);
    });
  });

  describe("slash", function () {
    it("takes slashBps of the stake into the reward pool, jails the provider and emits Slashed", async function () {
      const f = await loadFixture(staked);
      const { registry, rewards, token, provider, verifier, signerKey } = f;
      const receipt = makeReceipt();
      const sig = await signReceipt(f, signerKey, receipt);
      const digest = await registry.receiptDigest(receipt);
      const epoch = await rewards.currentEpoch();
      const poolBefore = await rewards.epochPool(epoch);
      await expect(registry.connect(verifier).slash(provider.address, receipt, sig, EVIDENCE))
        .to.emit(registry, "Slashed")
        .withArgs(provider.address, verifier.address, digest, PRZ(1_000), EVIDENCE, false)
        .and.to.emit(registry, "Jailed")
        .withArgs(provider.address);
      const p = await registry.getProvider(provider.address);
      expect(p.stakeAmount).to.equal(PRZ(1_000));
      expect(p.jailed).to.equal(true);
      expect(await registry.isActive(provider.address)).to.equal(false);
      expect(await rewards.epochPool(epoch)).to.equal(poolBefore + PRZ(1_000));
      expect(await token.balanceOf(await rewards.getAddress())).to.equal(PRZ(1_000));
      expect(await registry.evidenceUsed(digest)).to.equal(true);
      // A jailed provider cannot re-stake until governance unjails it.
      await expect(registry.connect(provider).stake(0n, signerKey.address, PEER_ID, 1n)).to.be.revertedWithCustomError(
        registry,
        "ProviderIsJailed",
      );
    });

    it("reaches stake that is unbonding, so leaving does not dodge a slash", async function () {
      const f = await loadFixture(staked);
      const { registry, provider, verifier, signerKey } = f;
      await registry.connect(provider).requestUnbond(PRZ(2_000));
      const receipt = makeReceipt();
      await registry.connect(verifier).slash(provider.address, receipt, await signReceipt(f, signerKey, receipt), EVIDENCE);
      const p = await registry.getProvider(provider.address);
      expect(p.stakeAmount).to.equal(0n);
      expect(p.unbonding).to.equal(PRZ(1_000));
    });

    it("burns the slashed stake when no reward pool is set", async function () {
      const f = await loadFixture(staked);
      const { registry, token, provider, verifier, signerKey, deployer } = f;
      await registry.connect(deployer).setRewardPool(ethers.ZeroAddress);
      const supply = await token.totalSupply();
      const receipt = makeReceipt();
      await expect(registry.connect(verifier).slash(provider.address, receipt, await signReceipt(f, signerKey, receipt), EVIDENCE))
        .to.emit(registry, "Slashed")
        .withArgs(provider.address, verifier.address, await registry.receiptDigest(receipt), PRZ(1_000), EVIDENCE, true);
      expect(await token.totalSupply()).to.equal(supply - PRZ(1_000));
    });

    it("still accepts receipts signed by a key the provider rotated away from", async function () {
      const f = await loadFixture(staked);
      const { registry, provider, verifier, signerKey } = f;
      const receipt = makeReceipt();
      const sig = await signReceipt(f, signerKey, receipt);
      await registry.connect(provider).stake(0n, Wallet.createRandom().address, PEER_ID, 5n);
      await expect(registry.connect(verifier).slash(provider.address, receipt, sig, EVIDENCE)).to.emit(registry, "Slashed");
    });

    it("rejects an unauthorized caller", async function () {
      const f = await loadFixture(staked);
      const { registry, provider, outsider, signerKey } = f;
      const receipt = makeReceipt();
      const sig = await signReceipt(f, signerKey, receipt);
      await expect(registry.connect(outsider).slash(provider.address, receipt, sig, EVIDENCE))
        .to.be.revertedWithCustomError(registry, "AccessControlUnauthorizedAccount")
        .withArgs(outsider.address, await registry.VERIFIER_ROLE());
      await expect(registry.connect(provider).slash(provider.address, receipt, sig, EVIDENCE)).to.be.revertedWithCustomError(
        registry,
        "AccessControlUnauthorizedAccount",
      );
    });

    it("rejects a receipt signed by another key", async function () {
      const f = await loadFixture(staked);
      const { registry, provider, verifier } = f;
      const other = Wallet.createRandom();
      const receipt = makeReceipt();
      await expect(registry.connect(verifier).slash(provider.address, receipt, await signReceipt(f, other, receipt), EVIDENCE))
        .to.be.revertedWithCustomError(registry, "WrongSigner")
        .withArgs(other.address);
    });

    it("rejects a receipt signed for another chain or another registry, and a tampered receipt", async function () {
      const f = await loadFixture(staked);
      const { registry, escrow, provider, verifier, signerKey, chainId } = f;
      const receipt = makeReceipt();
      const otherChain = await signReceipt(f, signerKey, receipt, registry, chainId + 1n);
      await expect(registry.connect(verifier).slash(provider.address, receipt, otherChain, EVIDENCE)).to.be.revertedWithCustomError(
        registry,
        "WrongSigner",
      );
      const otherContract = await signReceipt(f, signerKey, receipt, escrow);
      await expect(registry.connect(verifier).slash(provider.address, receipt, otherContract, EVIDENCE)).to.be.revertedWithCustomError(
        registry,
        "WrongSigner",
      );
      const sig = await signReceipt(f, signerKey, receipt);
      await expect(
        registry.connect(verifier).slash(provider.address, { ...receipt, tokens: receipt.tokens + 1 }, sig, EVIDENCE),
      ).to.be.revertedWithCustomError(registry, "WrongSigner");
      await expect(registry.connect(verifier).slash(provider.address, receipt, "0x1234", EVIDENCE)).to.be.revertedWithCustomError(
        registry,
        "WrongSigner",
      );
    });

    it("rejects the replay of a receipt already used", async function () {
      const f = await loadFixture(staked);
      const { registry, provider, verifier, signerKey, deployer } = f;
      const receipt = makeReceipt();
      const sig = await signReceipt(f, signerKey, receipt);
      await registry.connect(verifier).slash(provider.address, receipt, sig, EVIDENCE);
      await registry.connect(deployer).unjail(provider.address);
      await expect(registry.connect(verifier).slash(provider.address, receipt, sig, EVIDENCE))
        .to.be.revertedWithCustomError(registry, "EvidenceAlreadyUsed")
        .withArgs(await registry.receiptDigest(receipt));
    });
  });

  describe("governed parameters", function () {
    it("change through the admin (governance) with events", async function () {
      const { registry, deployer, provider } = await loadFixture(staked);
      await expect(registry.connect(deployer).setMinStake(PRZ(3_000))).to.emit(registry, "MinStakeSet").withArgs(PRZ(3_000));
      expect(await registry.isActive(provider.address)).to.equal(false);
      await expect(registry.connect(deployer).setUnbondingDelay(60n)).to.emit(registry, "UnbondingDelaySet").withArgs(60n);
      await expect(registry.connect(deployer).setSlashBps(10_000)).to.emit(registry, "SlashBpsSet").withArgs(10_000);
      await expect(registry.connect(deployer).setSlashBps(10_001)).to.be.revertedWithCustomError(registry, "InvalidBps");
      await expect(registry.connect(deployer).unjail(provider.address)).to.be.revertedWithCustomError(registry, "NotJailed");
    });

    it("reject anyone else", async function () {
      const { registry, outsider, verifier, provider } = await loadFixture(staked);
      const admin = await registry.DEFAULT_ADMIN_ROLE();
      for (const call of [
        registry.connect(outsider).setMinStake(0n),
        registry.connect(outsider).setUnbondingDelay(0n),
        registry.connect(verifier).setSlashBps(1),
        registry.connect(outsider).setRewardPool(outsider.address),
        registry.connect(outsider).unjail(provider.address),
        registry.connect(outsider).grantRole(await registry.VERIFIER_ROLE(), outsider.address),
      ]) {
        await expect(call).to.be.revertedWithCustomError(registry, "AccessControlUnauthorizedAccount");
      }
      expect(await registry.hasRole(admin, outsider.address)).to.equal(false);
    });
  });
});
