import { expect } from "chai";
import { network } from "hardhat";
import { Wallet, TypedDataEncoder, keccak256, toUtf8Bytes, id } from "ethers";
import { deployedPeerz } from "./lib/fixture.js";
import { PRZ, RECEIPT_TYPES, SIGNER_BINDING_TYPES, makeReceipt, registryDomain, signerProof } from "./lib/helpers.js";

const { ethers, networkHelpers } = await network.getOrCreate();
const { loadFixture, time } = networkHelpers;

const PEER_ID = "0x0024080112201111111111111111111111111111111111111111111111111111111111111111";
const EVIDENCE = keccak256(toUtf8Bytes("recomputed output differs"));
const RECOMPUTED = keccak256(toUtf8Bytes("the verifier's output"));
const WRONG_OUTPUT = 0;
const UNAVAILABLE = 1;
const HOUR = 3600n;
const DAY = 24n * HOUR;

describe("ProviderRegistry", function () {
  async function fixture() {
    const f = await deployedPeerz(ethers);
    const signerKey = Wallet.createRandom();
    return { ...f, signerKey };
  }

  async function stakeAs(f, who, key, amount, price = 5n) {
    await f.token.connect(who).approve(f.registry.target, amount);
    const proof = await signerProof(f.registry, f.chainId, key, who.address);
    return f.registry.connect(who).stake(amount, key.address, PEER_ID, price, proof);
  }

  async function staked() {
    const f = await fixture();
    await stakeAs(f, f.provider, f.signerKey, PRZ(2_000));
    return f;
  }

  async function signReceipt(f, key, receipt, registry = f.registry, chainId = f.chainId) {
    return key.signTypedData(await registryDomain(registry, chainId), RECEIPT_TYPES, receipt);
  }

  /** A receipt of the staked provider, signed by its key. */
  async function providerReceipt(f, overrides = {}) {
    const receipt = makeReceipt({ provider: f.provider.address, client: f.client.address, ...overrides });
    return { receipt, sig: await signReceipt(f, f.signerKey, receipt) };
  }

  async function proposed() {
    const f = await staked();
    const { receipt, sig } = await providerReceipt(f);
    await f.registry.connect(f.verifier).proposeSlash(receipt, sig, WRONG_OUTPUT, RECOMPUTED, EVIDENCE);
    return { ...f, receipt, sig, digest: await f.registry.receiptDigest(receipt) };
  }

  describe("constructor", function () {
    it("rejects zero addresses and every parameter outside its bounds", async function () {
      const { token, deployer } = await loadFixture(fixture);
      const R = await ethers.getContractFactory("ProviderRegistry");
      const ok = [PRZ(1), HOUR, 5_000, HOUR];
      const deploy = (args, t = token.target, g = deployer.address) => R.deploy(t, g, ...args);
      await expect(deploy(ok, ethers.ZeroAddress)).to.be.revertedWithCustomError(R, "ZeroAddress");
      await expect(deploy(ok, token.target, ethers.ZeroAddress)).to.be.revertedWithCustomError(R, "ZeroAddress");
      await expect(deploy([0n, HOUR, 5_000, HOUR])).to.be.revertedWithCustomError(R, "OutOfBounds");
      await expect(deploy([10n ** 27n + 1n, HOUR, 5_000, HOUR])).to.be.revertedWithCustomError(R, "OutOfBounds");
      await expect(deploy([PRZ(1), HOUR - 1n, 5_000, HOUR])).to.be.revertedWithCustomError(R, "OutOfBounds");
      await expect(deploy([PRZ(1), 365n * DAY + 1n, 5_000, HOUR])).to.be.revertedWithCustomError(R, "OutOfBounds");
      await expect(deploy([PRZ(1), HOUR, 0, HOUR])).to.be.revertedWithCustomError(R, "InvalidBps").withArgs(0);
      await expect(deploy([PRZ(1), HOUR, 10_001, HOUR])).to.be.revertedWithCustomError(R, "InvalidBps").withArgs(10_001);
      await expect(deploy([PRZ(1), HOUR, 5_000, HOUR - 1n])).to.be.revertedWithCustomError(R, "OutOfBounds");
      await expect(deploy([PRZ(1), HOUR, 5_000, 30n * DAY + 1n])).to.be.revertedWithCustomError(R, "OutOfBounds");
      const r = await deploy([10n ** 27n, 365n * DAY, 10_000, 30n * DAY]);
      expect(await r.hasRole(ethers.ZeroHash, deployer.address)).to.equal(true);
      expect(await r.hasRole(id("ARBITER_ROLE"), deployer.address)).to.equal(true);
      expect(await r.ARBITER_ROLE()).to.equal(id("ARBITER_ROLE"));
      expect(await r.challengePeriod()).to.equal(30n * DAY);
    });
  });

  describe("stake", function () {
    it("registers a provider with signer, peer id and price, binding the signer to it", async function () {
      const f = await loadFixture(fixture);
      const { registry, token, provider, signerKey } = f;
      await expect(stakeAs(f, provider, signerKey, PRZ(1_500), 7n))
        .to.emit(registry, "Staked")
        .withArgs(provider.address, PRZ(1_500), PRZ(1_500), signerKey.address, PEER_ID, 7n);
      const p = await registry.getProvider(provider.address);
      expect(p.stakeAmount).to.equal(PRZ(1_500));
      expect(p.signer).to.equal(signerKey.address);
      expect(p.peerId).to.equal(PEER_ID);
      expect(p.pricePerToken).to.equal(7n);
      expect(p.jailed).to.equal(false);
      expect(await registry.isActive(provider.address)).to.equal(true);
      expect(await registry.signerOwner(signerKey.address)).to.equal(provider.address);
      expect(await token.balanceOf(registry.target)).to.equal(PRZ(1_500));
    });

    it("tops up an existing stake", async function () {
      const f = await loadFixture(staked);
      await stakeAs(f, f.provider, f.signerKey, PRZ(500), 9n);
      const p = await f.registry.getProvider(f.provider.address);
      expect(p.stakeAmount).to.equal(PRZ(2_500));
      expect(p.pricePerToken).to.equal(9n);
    });

    it("rejects a stake below the minimum, a zero signer, an empty or oversized peer id, a missing approval", async function () {
      const f = await loadFixture(fixture);
      const { registry, token, provider, signerKey } = f;
      const r = registry.connect(provider);
      const proof = await signerProof(registry, f.chainId, signerKey, provider.address);
      await token.connect(provider).approve(registry.target, PRZ(5_000));
      await expect(r.stake(PRZ(999), signerKey.address, PEER_ID, 1n, proof))
        .to.be.revertedWithCustomError(registry, "BelowMinStake")
        .withArgs(PRZ(999), PRZ(1_000));
      await expect(r.stake(PRZ(1_000), ethers.ZeroAddress, PEER_ID, 1n, proof)).to.be.revertedWithCustomError(registry, "ZeroAddress");
      await expect(r.stake(PRZ(1_000), signerKey.address, "0x", 1n, proof)).to.be.revertedWithCustomError(registry, "InvalidPeerId");
      await expect(r.stake(PRZ(1_000), signerKey.address, "0x" + "11".repeat(129), 1n, proof)).to.be.revertedWithCustomError(
        registry,
        "InvalidPeerId",
      );
      await token.connect(provider).approve(registry.target, 0n);
      await expect(r.stake(PRZ(1_000), signerKey.address, PEER_ID, 1n, proof)).to.be.revertedWithCustomError(
        token,
        "ERC20InsufficientAllowance",
      );
    });

    it("requires the signer's proof of possession for the registering address (finding 3)", async function () {
      const f = await loadFixture(fixture);
      const { registry, token, provider, provider2, signerKey, chainId, escrow } = f;
      await token.connect(provider2).approve(registry.target, PRZ(2_000));
      const r2 = registry.connect(provider2);
      // No proof, a proof by another key, the provider's own proof replayed, a proof for another chain or contract.
      await expect(r2.stake(PRZ(1_000), signerKey.address, PEER_ID, 1n, "0x")).to.be.revertedWithCustomError(
        registry,
        "InvalidSignerProof",
      );
      const other = Wallet.createRandom();
      await expect(r2.stake(PRZ(1_000), signerKey.address, PEER_ID, 1n, await signerProof(registry, chainId, other, provider2.address)))
        .to.be.revertedWithCustomError(registry, "InvalidSignerProof")
        .withArgs(other.address);
      const forProvider = await signerProof(registry, chainId, signerKey, provider.address);
      await expect(r2.stake(PRZ(1_000), signerKey.address, PEER_ID, 1n, forProvider)).to.be.revertedWithCustomError(
        registry,
        "InvalidSignerProof",
      );
      await expect(
        r2.stake(PRZ(1_000), signerKey.address, PEER_ID, 1n, await signerProof(registry, chainId + 1n, signerKey, provider2.address)),
      ).to.be.revertedWithCustomError(registry, "InvalidSignerProof");
      await expect(
        r2.stake(PRZ(1_000), signerKey.address, PEER_ID, 1n, await signerProof(escrow, chainId, signerKey, provider2.address)),
      ).to.be.revertedWithCustomError(registry, "InvalidSignerProof");
      expect(await registry.signerOwner(signerKey.address)).to.equal(ethers.ZeroAddress);
    });

    it("binds a signer to one provider forever (SignerTaken), even after the provider rotates away from it", async function () {
      const f = await loadFixture(staked);
      const { registry, token, provider, provider2, signerKey, chainId } = f;
      await token.connect(provider2).approve(registry.target, PRZ(2_000));
      // Even the key holder's own signature for provider2 cannot move the key.
      const proof2 = await signerProof(registry, chainId, signerKey, provider2.address);
      await expect(registry.connect(provider2).stake(PRZ(1_000), signerKey.address, PEER_ID, 1n, proof2))
        .to.be.revertedWithCustomError(registry, "SignerTaken")
        .withArgs(signerKey.address, provider.address);
      const newKey = Wallet.createRandom();
      await stakeAs(f, provider, newKey, 0n);
      expect((await registry.getProvider(provider.address)).signer).to.equal(newKey.address);
      await expect(registry.connect(provider2).stake(PRZ(1_000), signerKey.address, PEER_ID, 1n, proof2))
        .to.be.revertedWithCustomError(registry, "SignerTaken")
        .withArgs(signerKey.address, provider.address);
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

    it("front-running: withdraw, requestUnbond and stake revert while a slash is pending or the provider is jailed (finding 7)", async function () {
      const f = await loadFixture(staked);
      const { registry, provider, verifier, signerKey, deployer } = f;
      await registry.connect(provider).requestUnbond(PRZ(1_000));
      const { unbondingReleaseTime } = await registry.getProvider(provider.address);
      await time.increaseTo(unbondingReleaseTime);
      // The unbonding has matured; the verifier's proposal lands first.
      const { receipt, sig } = await providerReceipt(f);
      await registry.connect(verifier).proposeSlash(receipt, sig, WRONG_OUTPUT, RECOMPUTED, EVIDENCE);
      const proof = await signerProof(registry, f.chainId, signerKey, provider.address);
      const blocked = async () => {
        for (const call of [
          () => registry.connect(provider).withdraw(),
          () => registry.connect(provider).requestUnbond(PRZ(1)),
          () => registry.connect(provider).stake(0n, signerKey.address, PEER_ID, 1n, proof),
        ]) {
          await expect(call()).to.be.revertedWithCustomError(registry, "ProviderIsJailed").withArgs(provider.address);
        }
      };
      await blocked();
      // Still blocked after the slash is final (jailed), until governance unjails.
      await time.increase(await registry.challengePeriod());
      await registry.finalizeSlash(provider.address);
      await blocked();
      await registry.connect(deployer).unjail(provider.address);
      // Half of 2,000 was taken, bonded first: 1,000 bonded → 0, unbonding 1,000 untouched.
      await expect(registry.connect(provider).withdraw()).to.emit(registry, "Withdrawn").withArgs(provider.address, PRZ(1_000));
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

  describe("EIP-712", function () {
    it("receiptDigest (Receipt v2, domain version 2) equals the hash computed by ethers' TypedDataEncoder", async function () {
      const { registry, chainId, provider, client } = await loadFixture(fixture);
      const receipt = makeReceipt({ provider: provider.address, client: client.address, servingMode: 0x12, amount: 10n ** 30n });
      const domain = await registryDomain(registry, chainId);
      expect(domain.version).to.equal("2");
      expect(await registry.receiptDigest(receipt)).to.equal(TypedDataEncoder.hash(domain, RECEIPT_TYPES, receipt));
      expect(await registry.RECEIPT_TYPEHASH()).to.equal(
        id(
          "Receipt(address provider,address client,bytes32 sessionId,uint64 step,bytes32 modelId,uint32 blockStart,uint32 blockEnd,bytes32 inputHash,bytes32 outputHash,uint32 tokens,uint64 timestamp,uint8 servingMode,uint256 amount)",
        ),
      );
      expect(TypedDataEncoder.from(RECEIPT_TYPES).encodeType("Receipt")).to.equal(
        "Receipt(address provider,address client,bytes32 sessionId,uint64 step,bytes32 modelId,uint32 blockStart,uint32 blockEnd,bytes32 inputHash,bytes32 outputHash,uint32 tokens,uint64 timestamp,uint8 servingMode,uint256 amount)",
      );
    });

    it("signerBindingDigest equals the SignerBinding hash computed by ethers' TypedDataEncoder", async function () {
      const { registry, chainId, provider } = await loadFixture(fixture);
      const domain = await registryDomain(registry, chainId);
      expect(await registry.signerBindingDigest(provider.address)).to.equal(
        TypedDataEncoder.hash(domain, SIGNER_BINDING_TYPES, { provider: provider.address }),
      );
      expect(await registry.SIGNER_BINDING_TYPEHASH()).to.equal(id("SignerBinding(address provider)"));
    });
  });

  describe("slash proposal", function () {
    it("holds slashBps of the stake, jails the provider and emits SlashProposed; nothing moves yet", async function () {
      const f = await loadFixture(staked);
      const { registry, rewards, token, provider, verifier } = f;
      const { receipt, sig } = await providerReceipt(f);
      const digest = await registry.receiptDigest(receipt);
      const poolBefore = await rewards.epochPool(await rewards.currentEpoch());
      const tx = registry.connect(verifier).proposeSlash(receipt, sig, WRONG_OUTPUT, RECOMPUTED, EVIDENCE);
      await expect(tx).to.emit(registry, "Jailed").withArgs(provider.address);
      const deadline = BigInt(await time.latest()) + (await registry.challengePeriod());
      await expect(tx)
        .to.emit(registry, "SlashProposed")
        .withArgs(provider.address, verifier.address, digest, WRONG_OUTPUT, PRZ(1_000), deadline, RECOMPUTED, EVIDENCE);
      const p = await registry.getProvider(provider.address);
      expect(p.stakeAmount).to.equal(PRZ(1_000));
      expect(p.jailed).to.equal(true);
      expect(await registry.isActive(provider.address)).to.equal(false);
      expect(await registry.evidenceUsed(digest)).to.equal(true);
      const s = await registry.pendingSlash(provider.address);
      expect([s.verifier, s[1], s.amount, s.deadline, s.fault, s.disputed, s.active]).to.deep.equal([
        verifier.address,
        digest,
        PRZ(1_000),
        deadline,
        0n,
        false,
        true,
      ]);
      // Held, not moved.
      expect(await token.balanceOf(registry.target)).to.equal(PRZ(2_000));
      expect(await rewards.epochPool(await rewards.currentEpoch())).to.equal(poolBefore);
    });

    it("accepts an Unavailable proposal only with a zero recomputed hash, and a WrongOutput one only with a differing one", async function () {
      const f = await loadFixture(staked);
      const { registry, verifier } = f;
      const { receipt, sig } = await providerReceipt(f);
      const v = registry.connect(verifier);
      await expect(v.proposeSlash(receipt, sig, WRONG_OUTPUT, ethers.ZeroHash, EVIDENCE)).to.be.revertedWithCustomError(
        registry,
        "InvalidEvidence",
      );
      await expect(v.proposeSlash(receipt, sig, WRONG_OUTPUT, receipt.outputHash, EVIDENCE)).to.be.revertedWithCustomError(
        registry,
        "InvalidEvidence",
      );
      await expect(v.proposeSlash(receipt, sig, UNAVAILABLE, RECOMPUTED, EVIDENCE)).to.be.revertedWithCustomError(registry, "InvalidEvidence");
      await expect(v.proposeSlash(receipt, sig, 2, ethers.ZeroHash, EVIDENCE)).to.be.revertedWithCustomError(registry, "InvalidEvidence");
      await expect(v.proposeSlash(receipt, sig, UNAVAILABLE, ethers.ZeroHash, EVIDENCE))
        .to.emit(registry, "SlashProposed")
        .withArgs(f.provider.address, verifier.address, await registry.receiptDigest(receipt), UNAVAILABLE, PRZ(1_000), anyUint(), ethers.ZeroHash, EVIDENCE);
    });

    it("an honest provider with 10 receipts can be slashed at most once, and only with evidence that fails verification", async function () {
      const f = await loadFixture(staked);
      const { registry, token, provider, verifier, deployer } = f;
      const receipts = [];
      for (let i = 0; i < 10; i++) receipts.push(await providerReceipt(f, { step: BigInt(i) }));
      // Evidence that confirms the receipt (the recomputation equals the signed output) is refused for every receipt.
      for (const { receipt, sig } of receipts) {
        await expect(
          registry.connect(verifier).proposeSlash(receipt, sig, WRONG_OUTPUT, receipt.outputHash, EVIDENCE),
        ).to.be.revertedWithCustomError(registry, "InvalidEvidence");
      }
      // A (false) claim of a different output goes through once...
      await registry.connect(verifier).proposeSlash(receipts[0].receipt, receipts[0].sig, WRONG_OUTPUT, RECOMPUTED, EVIDENCE);
      // ...and the second to tenth receipts cannot slash again while the provider is jailed.
      for (const { receipt, sig } of receipts.slice(1)) {
        await expect(registry.connect(verifier).proposeSlash(receipt, sig, WRONG_OUTPUT, RECOMPUTED, EVIDENCE))
          .to.be.revertedWithCustomError(registry, "ProviderIsJailed")
          .withArgs(provider.address);
      }
      expect((await registry.getProvider(provider.address)).stakeAmount).to.equal(PRZ(1_000));
      // The provider disputes; the arbiter (governance) finds for it: the full stake comes back.
      await expect(registry.connect(provider).dispute()).to.emit(registry, "SlashDisputed").withArgs(provider.address);
      await expect(registry.connect(deployer).resolveDispute(provider.address, false))
        .to.emit(registry, "DisputeResolved")
        .withArgs(provider.address, deployer.address, false)
        .and.to.emit(registry, "Unjailed")
        .withArgs(provider.address);
      const p = await registry.getProvider(provider.address);
      expect([p.stakeAmount, p.unbonding, p.jailed]).to.deep.equal([PRZ(2_000), 0n, false]);
      expect(await registry.isActive(provider.address)).to.equal(true);
      expect(await token.balanceOf(registry.target)).to.equal(PRZ(2_000));
      expect((await registry.pendingSlash(provider.address)).active).to.equal(false);
    });

    it("reaches stake that is unbonding, so leaving does not dodge a slash; a withdrawn slash puts it back", async function () {
      const f = await loadFixture(staked);
      const { registry, provider, verifier } = f;
      await registry.connect(provider).requestUnbond(PRZ(2_000));
      const { receipt, sig } = await providerReceipt(f);
      await registry.connect(verifier).proposeSlash(receipt, sig, WRONG_OUTPUT, RECOMPUTED, EVIDENCE);
      let p = await registry.getProvider(provider.address);
      expect([p.stakeAmount, p.unbonding]).to.deep.equal([0n, PRZ(1_000)]);
      await expect(registry.connect(verifier).withdrawSlash(provider.address))
        .to.emit(registry, "SlashWithdrawn")
        .withArgs(provider.address, verifier.address);
      p = await registry.getProvider(provider.address);
      expect([p.stakeAmount, p.unbonding, p.jailed]).to.deep.equal([0n, PRZ(2_000), false]);
    });

    it("accepts receipts signed by a key the provider rotated away from", async function () {
      const f = await loadFixture(staked);
      const { registry, provider, verifier } = f;
      const { receipt, sig } = await providerReceipt(f);
      await stakeAs(f, provider, Wallet.createRandom(), 0n);
      await expect(registry.connect(verifier).proposeSlash(receipt, sig, WRONG_OUTPUT, RECOMPUTED, EVIDENCE)).to.emit(
        registry,
        "SlashProposed",
      );
    });

    it("rejects an unauthorized caller", async function () {
      const f = await loadFixture(staked);
      const { registry, provider, outsider } = f;
      const { receipt, sig } = await providerReceipt(f);
      for (const who of [outsider, provider]) {
        await expect(registry.connect(who).proposeSlash(receipt, sig, WRONG_OUTPUT, RECOMPUTED, EVIDENCE))
          .to.be.revertedWithCustomError(registry, "AccessControlUnauthorizedAccount")
          .withArgs(who.address, await registry.VERIFIER_ROLE());
      }
    });

    it("rejects a receipt signed by another key, or naming another provider than the signer's owner (finding 3)", async function () {
      const f = await loadFixture(staked);
      const { registry, provider, provider2, verifier, signerKey } = f;
      const other = Wallet.createRandom();
      const receipt = makeReceipt({ provider: provider.address });
      await expect(registry.connect(verifier).proposeSlash(receipt, await signReceipt(f, other, receipt), WRONG_OUTPUT, RECOMPUTED, EVIDENCE))
        .to.be.revertedWithCustomError(registry, "WrongSigner")
        .withArgs(other.address);
      // provider2 registers its own key; a receipt signed by provider's key but naming provider2 slashes no one.
      const key2 = Wallet.createRandom();
      await stakeAs(f, provider2, key2, PRZ(1_000));
      const naming2 = makeReceipt({ provider: provider2.address });
      await expect(
        registry.connect(verifier).proposeSlash(naming2, await signReceipt(f, signerKey, naming2), WRONG_OUTPUT, RECOMPUTED, EVIDENCE),
      )
        .to.be.revertedWithCustomError(registry, "WrongSigner")
        .withArgs(signerKey.address);
      // The same receipt body used against two providers yields two different digests (evidence per provider).
      expect(await registry.receiptDigest(naming2)).to.not.equal(await registry.receiptDigest({ ...naming2, provider: provider.address }));
    });

    it("rejects a receipt signed for another chain or another registry, a tampered receipt and a malformed signature", async function () {
      const f = await loadFixture(staked);
      const { registry, escrow, provider, verifier, signerKey, chainId } = f;
      const receipt = makeReceipt({ provider: provider.address });
      const v = registry.connect(verifier);
      const otherChain = await signReceipt(f, signerKey, receipt, registry, chainId + 1n);
      await expect(v.proposeSlash(receipt, otherChain, WRONG_OUTPUT, RECOMPUTED, EVIDENCE)).to.be.revertedWithCustomError(registry, "WrongSigner");
      const otherContract = await signReceipt(f, signerKey, receipt, escrow);
      await expect(v.proposeSlash(receipt, otherContract, WRONG_OUTPUT, RECOMPUTED, EVIDENCE)).to.be.revertedWithCustomError(
        registry,
        "WrongSigner",
      );
      const sig = await signReceipt(f, signerKey, receipt);
      for (const tampered of [{ tokens: receipt.tokens + 1 }, { amount: receipt.amount + 1n }, { servingMode: 0 }, { client: verifier.address }]) {
        await expect(v.proposeSlash({ ...receipt, ...tampered }, sig, WRONG_OUTPUT, RECOMPUTED, EVIDENCE)).to.be.revertedWithCustomError(
          registry,
          "WrongSigner",
        );
      }
      await expect(v.proposeSlash(receipt, "0x1234", WRONG_OUTPUT, RECOMPUTED, EVIDENCE)).to.be.revertedWithCustomError(registry, "WrongSigner");
    });

    it("rejects the replay of a receipt already used, even after the provider is unjailed", async function () {
      const f = await loadFixture(proposed);
      const { registry, provider, verifier, deployer, receipt, sig, digest } = f;
      await time.increase(await registry.challengePeriod());
      await registry.finalizeSlash(provider.address);
      await registry.connect(deployer).unjail(provider.address);
      await expect(registry.connect(verifier).proposeSlash(receipt, sig, WRONG_OUTPUT, RECOMPUTED, EVIDENCE))
        .to.be.revertedWithCustomError(registry, "EvidenceAlreadyUsed")
        .withArgs(digest);
      // A fresh receipt slashes again once the provider is out of jail: one slash per jailing.
      const fresh = await providerReceipt(f);
      await expect(registry.connect(verifier).proposeSlash(fresh.receipt, fresh.sig, WRONG_OUTPUT, RECOMPUTED, EVIDENCE))
        .to.emit(registry, "SlashProposed")
        .withArgs(provider.address, verifier.address, anyBytes(), WRONG_OUTPUT, PRZ(500), anyUint(), RECOMPUTED, EVIDENCE);
    });
  });

  describe("slash settlement", function () {
    it("finalizes after the challenge period (anyone), moving the held stake to the reward pool", async function () {
      const f = await loadFixture(proposed);
      const { registry, rewards, token, provider, verifier, outsider, digest } = f;
      const { deadline } = await registry.pendingSlash(provider.address);
      await time.setNextBlockTimestamp(deadline - 1n);
      await expect(registry.connect(outsider).finalizeSlash(provider.address))
        .to.be.revertedWithCustomError(registry, "ChallengePeriodNotOver")
        .withArgs(deadline);
      await time.setNextBlockTimestamp(deadline);
      await expect(registry.connect(outsider).finalizeSlash(provider.address))
        .to.emit(registry, "Slashed")
        .withArgs(provider.address, verifier.address, digest, PRZ(1_000), EVIDENCE, false);
      const epoch = await rewards.currentEpoch();
      expect(await rewards.epochPool(epoch)).to.equal((await rewards.emissionOf(epoch)) + PRZ(1_000));
      expect(await token.balanceOf(registry.target)).to.equal(PRZ(1_000));
      expect(await token.balanceOf(rewards.target)).to.equal(PRZ(1_000));
      expect((await registry.getProvider(provider.address)).jailed).to.equal(true);
      expect((await registry.pendingSlash(provider.address)).active).to.equal(false);
      await expect(registry.finalizeSlash(provider.address)).to.be.revertedWithCustomError(registry, "NoPendingSlash");
    });

    it("burns the held stake at finalization when no reward pool is set", async function () {
      const f = await loadFixture(proposed);
      const { registry, token, provider, verifier, deployer, digest } = f;
      await registry.connect(deployer).setRewardPool(ethers.ZeroAddress);
      const supply = await token.totalSupply();
      await time.increase(await registry.challengePeriod());
      await expect(registry.finalizeSlash(provider.address))
        .to.emit(registry, "Slashed")
        .withArgs(provider.address, verifier.address, digest, PRZ(1_000), EVIDENCE, true);
      expect(await token.totalSupply()).to.equal(supply - PRZ(1_000));
    });

    it("lets the provider dispute before the deadline only, once; a disputed slash waits for the arbiter", async function () {
      const f = await loadFixture(proposed);
      const { registry, provider, provider2, outsider, verifier } = f;
      await expect(registry.connect(provider2).dispute()).to.be.revertedWithCustomError(registry, "NoPendingSlash").withArgs(provider2.address);
      await expect(registry.connect(provider).dispute()).to.emit(registry, "SlashDisputed").withArgs(provider.address);
      await expect(registry.connect(provider).dispute()).to.be.revertedWithCustomError(registry, "SlashDisputedAlready");
      expect((await registry.pendingSlash(provider.address)).disputed).to.equal(true);
      await time.increase(await registry.challengePeriod());
      await expect(registry.connect(outsider).finalizeSlash(provider.address)).to.be.revertedWithCustomError(registry, "SlashDisputedAlready");
      for (const who of [outsider, verifier, provider]) {
        await expect(registry.connect(who).resolveDispute(provider.address, true))
          .to.be.revertedWithCustomError(registry, "AccessControlUnauthorizedAccount")
          .withArgs(who.address, await registry.ARBITER_ROLE());
      }
    });

    it("refuses a dispute after the deadline and a resolution of an undisputed slash", async function () {
      const f = await loadFixture(proposed);
      const { registry, provider, deployer } = f;
      await expect(registry.connect(deployer).resolveDispute(provider.address, true))
        .to.be.revertedWithCustomError(registry, "SlashNotDisputed")
        .withArgs(provider.address);
      const { deadline } = await registry.pendingSlash(provider.address);
      await time.setNextBlockTimestamp(deadline);
      await expect(registry.connect(provider).dispute()).to.be.revertedWithCustomError(registry, "ChallengePeriodOver").withArgs(deadline);
    });

    it("an upheld dispute finalizes the slash", async function () {
      const f = await loadFixture(proposed);
      const { registry, provider, verifier, deployer, digest } = f;
      await registry.connect(provider).dispute();
      await expect(registry.connect(deployer).resolveDispute(provider.address, true))
        .to.emit(registry, "Slashed")
        .withArgs(provider.address, verifier.address, digest, PRZ(1_000), EVIDENCE, false);
      expect((await registry.getProvider(provider.address)).jailed).to.equal(true);
    });

    it("lets only the proposing verifier withdraw a slash, disputed or not", async function () {
      const f = await loadFixture(proposed);
      const { registry, provider, verifier, verifier2, outsider } = f;
      await expect(registry.connect(outsider).withdrawSlash(provider.address)).to.be.revertedWithCustomError(
        registry,
        "AccessControlUnauthorizedAccount",
      );
      await expect(registry.connect(verifier2).withdrawSlash(provider.address))
        .to.be.revertedWithCustomError(registry, "NotSlashProposer")
        .withArgs(verifier2.address, verifier.address);
      await registry.connect(provider).dispute();
      await expect(registry.connect(verifier).withdrawSlash(provider.address))
        .to.emit(registry, "SlashWithdrawn")
        .withArgs(provider.address, verifier.address)
        .and.to.emit(registry, "Unjailed");
      const p = await registry.getProvider(provider.address);
      expect([p.stakeAmount, p.jailed]).to.deep.equal([PRZ(2_000), false]);
      await expect(registry.connect(verifier).withdrawSlash(provider.address)).to.be.revertedWithCustomError(registry, "NoPendingSlash");
    });

    it("refuses unjail while a slash is pending", async function () {
      const f = await loadFixture(proposed);
      const { registry, provider, deployer } = f;
      await expect(registry.connect(deployer).unjail(provider.address))
        .to.be.revertedWithCustomError(registry, "SlashPending")
        .withArgs(provider.address);
    });
  });

  describe("governed parameters", function () {
    it("change through the admin (governance) with events, within bounds (finding 5)", async function () {
      const { registry, deployer, provider } = await loadFixture(staked);
      const a = registry.connect(deployer);
      await expect(a.setMinStake(PRZ(3_000))).to.emit(registry, "MinStakeSet").withArgs(PRZ(3_000));
      expect(await registry.isActive(provider.address)).to.equal(false);
      await expect(a.setMinStake(0n)).to.be.revertedWithCustomError(registry, "OutOfBounds");
      await expect(a.setMinStake(10n ** 27n + 1n)).to.be.revertedWithCustomError(registry, "OutOfBounds");
      await expect(a.setMinStake(10n ** 27n)).to.emit(registry, "MinStakeSet");

      await expect(a.setUnbondingDelay(HOUR - 1n)).to.be.revertedWithCustomError(registry, "OutOfBounds");
      await expect(a.setUnbondingDelay(365n * DAY + 1n)).to.be.revertedWithCustomError(registry, "OutOfBounds");
      await expect(a.setUnbondingDelay(2n ** 64n - 1n)).to.be.revertedWithCustomError(registry, "OutOfBounds");
      await expect(a.setUnbondingDelay(HOUR)).to.emit(registry, "UnbondingDelaySet").withArgs(HOUR);
      await expect(a.setUnbondingDelay(365n * DAY)).to.emit(registry, "UnbondingDelaySet").withArgs(365n * DAY);

      await expect(a.setSlashBps(0)).to.be.revertedWithCustomError(registry, "InvalidBps").withArgs(0);
      await expect(a.setSlashBps(10_001)).to.be.revertedWithCustomError(registry, "InvalidBps").withArgs(10_001);
      await expect(a.setSlashBps(1)).to.emit(registry, "SlashBpsSet").withArgs(1);
      await expect(a.setSlashBps(10_000)).to.emit(registry, "SlashBpsSet").withArgs(10_000);

      await expect(a.setChallengePeriod(HOUR - 1n)).to.be.revertedWithCustomError(registry, "OutOfBounds");
      await expect(a.setChallengePeriod(30n * DAY + 1n)).to.be.revertedWithCustomError(registry, "OutOfBounds");
      await expect(a.setChallengePeriod(HOUR)).to.emit(registry, "ChallengePeriodSet").withArgs(HOUR);
      await expect(a.setChallengePeriod(30n * DAY)).to.emit(registry, "ChallengePeriodSet").withArgs(30n * DAY);

      await expect(a.unjail(provider.address)).to.be.revertedWithCustomError(registry, "NotJailed");
    });

    it("accepts only a contract or zero as the reward pool", async function () {
      const { registry, rewards, deployer, outsider } = await loadFixture(staked);
      await expect(registry.connect(deployer).setRewardPool(outsider.address))
        .to.be.revertedWithCustomError(registry, "NotAContract")
        .withArgs(outsider.address);
      await expect(registry.connect(deployer).setRewardPool(ethers.ZeroAddress)).to.emit(registry, "RewardPoolSet").withArgs(ethers.ZeroAddress);
      await expect(registry.connect(deployer).setRewardPool(rewards.target)).to.emit(registry, "RewardPoolSet").withArgs(rewards.target);
    });

    it("reject anyone else", async function () {
      const { registry, outsider, verifier, provider } = await loadFixture(staked);
      const admin = await registry.DEFAULT_ADMIN_ROLE();
      const verifierRole = await registry.VERIFIER_ROLE();
      const arbiterRole = await registry.ARBITER_ROLE();
      for (const call of [
        () => registry.connect(outsider).setMinStake(PRZ(1)),
        () => registry.connect(outsider).setUnbondingDelay(HOUR),
        () => registry.connect(verifier).setSlashBps(1),
        () => registry.connect(verifier).setChallengePeriod(HOUR),
        () => registry.connect(outsider).setRewardPool(ethers.ZeroAddress),
        () => registry.connect(outsider).unjail(provider.address),
        () => registry.connect(outsider).grantRole(verifierRole, outsider.address),
        () => registry.connect(verifier).grantRole(arbiterRole, verifier.address),
      ]) {
        await expect(call()).to.be.revertedWithCustomError(registry, "AccessControlUnauthorizedAccount");
      }
      expect(await registry.hasRole(admin, outsider.address)).to.equal(false);
    });
  });
});

// chai matchers for arguments the test does not pin down.
function anyUint() {
  return (v) => typeof v === "bigint" && v >= 0n;
}
function anyBytes() {
  return (v) => typeof v === "string" && v.startsWith("0x");
}
