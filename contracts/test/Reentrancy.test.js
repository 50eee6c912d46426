// Reentrancy through a malicious token receiver.
// HookToken is an ERC-20 that, like ERC-777, calls tokensReceived() on an opted-in recipient in the middle of every
// transfer. Reenterer is a hostile contract acting as provider / client / reward claimant: when the Peerz contract
// pays it, the hook re-enters the same contract (withdraw again, redeem the same voucher again, claim again).
// Each attack must fail inside the callback with ReentrancyGuardReentrantCall, and the attacker must end up with
// exactly one payment while the contract's books still match its token balance.
import { expect } from "chai";
import { network } from "hardhat";
import { Wallet } from "ethers";
import { PRZ, VOUCHER_TYPES, escrowDomain, rewardTree, signerProof } from "./lib/helpers.js";

const { ethers, networkHelpers } = await network.getOrCreate();
const { loadFixture, time } = networkHelpers;

describe("Reentrancy through a malicious token receiver", function () {
  async function fixture() {
    const [deployer, client, settler] = await ethers.getSigners();
    const token = await ethers.deployContract("HookToken");
    const registry = await ethers.deployContract("ProviderRegistry", [
      await token.getAddress(),
      deployer.address,
      PRZ(100),
      3600n,
      5_000,
      3600n,
    ]);
    const escrow = await ethers.deployContract("PaymentEscrow", [await token.getAddress(), 60n]);
    const rewards = await ethers.deployContract("EpochRewards", [
      await token.getAddress(),
      deployer.address,
      3600n,
      PRZ(1_000),
      0n,
      [1n, 1n, 1n, 1n],
      0n,
      52n,
    ]);
    await rewards.grantRole(await rewards.SETTLEMENT_ROLE(), settler.address);
    const attacker = await ethers.deployContract("Reenterer");
    const attackerAddress = await attacker.getAddress();
    await token.mint(attackerAddress, PRZ(1_000));
    await token.mint(client.address, PRZ(1_000));
    // Opt in to the callback, as an ERC-777 recipient registers in ERC-1820.
    await attacker.execute(await token.getAddress(), token.interface.encodeFunctionData("registerHook"));
    const { chainId } = await ethers.provider.getNetwork();
    return { token, registry, escrow, rewards, attacker, attackerAddress, client, settler, chainId };
  }

  const as = (attacker, contract, fn, args = []) =>
    attacker.execute(contract.target, contract.interface.encodeFunctionData(fn, args));

  async function expectBlocked(attacker, guarded) {
    expect(await attacker.attempted()).to.equal(true);
    expect(await attacker.reentrySucceeded()).to.equal(false);
    expect(await attacker.reentryRevertData()).to.equal(guarded.interface.getError("ReentrancyGuardReentrantCall").selector);
  }

  it("PaymentEscrow.withdraw cannot be re-entered to withdraw twice", async function () {
    const { token, escrow, attacker, attackerAddress } = await loadFixture(fixture);
    await as(attacker, token, "approve", [escrow.target, PRZ(500)]);
    await as(attacker, escrow, "deposit", [PRZ(500)]);
    await as(attacker, escrow, "requestWithdrawal", [PRZ(300)]);
    await time.increase(61);
    await attacker.arm(escrow.target, escrow.interface.encodeFunctionData("withdraw"));
    await as(attacker, escrow, "withdraw");
    await expectBlocked(attacker, escrow);
    expect(await token.balanceOf(attackerAddress)).to.equal(PRZ(800));
    expect(await escrow.balanceOf(attackerAddress)).to.equal(PRZ(200));
    expect(await token.balanceOf(escrow.target)).to.equal(PRZ(200));
  });

  it("PaymentEscrow.redeem cannot be re-entered to redeem the same voucher twice", async function () {
    const { token, escrow, attacker, attackerAddress, client, chainId } = await loadFixture(fixture);
    await token.connect(client).approve(escrow.target, PRZ(500));
    await escrow.connect(client).deposit(PRZ(500));
    await escrow.connect(client).reserve(attackerAddress, PRZ(500));
    const voucher = { client: client.address, provider: attackerAddress, cumulativeAmount: PRZ(40), nonce: 1n };
    const sig = await client.signTypedData(await escrowDomain(escrow, chainId), VOUCHER_TYPES, voucher);
    const redeemCall = escrow.interface.encodeFunctionData("redeem", [voucher, sig]);
    await attacker.arm(escrow.target, redeemCall);
    await attacker.execute(escrow.target, redeemCall);
    await expectBlocked(attacker, escrow);
    expect(await token.balanceOf(attackerAddress)).to.equal(PRZ(1_040));
    expect((await escrow.lane(client.address, attackerAddress)).amount).to.equal(PRZ(460));
    expect(await token.balanceOf(escrow.target)).to.equal(PRZ(460));
  });

  it("ProviderRegistry.withdraw cannot be re-entered to withdraw unbonded stake twice", async function () {
    const { token, registry, attacker, attackerAddress, chainId } = await loadFixture(fixture);
    const signerKey = Wallet.createRandom();
    const proof = await signerProof(registry, chainId, signerKey, attackerAddress);
    await as(attacker, token, "approve", [registry.target, PRZ(400)]);
    await as(attacker, registry, "stake", [PRZ(400), signerKey.address, "0x0102", 1n, proof]);
    await as(attacker, registry, "requestUnbond", [PRZ(150)]);
    await time.increase(3601);
    await attacker.arm(registry.target, registry.interface.encodeFunctionData("withdraw"));
    await as(attacker, registry, "withdraw");
    await expectBlocked(attacker, registry);
    expect(await token.balanceOf(attackerAddress)).to.equal(PRZ(750));
    expect(await token.balanceOf(registry.target)).to.equal(PRZ(250));
    const p = await registry.getProvider(attackerAddress);
    expect([p.stakeAmount, p.unbonding]).to.deep.equal([PRZ(250), 0n]);
  });

  it("EpochRewards.claim cannot be re-entered to claim twice", async function () {
    const { token, rewards, attacker, attackerAddress, settler, client } = await loadFixture(fixture);
    const tree = rewardTree([
      [attackerAddress, 0, PRZ(100)],
      [client.address, 1, PRZ(200)],
    ]);
    await time.increase(3601);
    await rewards.connect(settler).postRoot(0n, tree.root, tree.totals);
    const claimCall = rewards.interface.encodeFunctionData("claim", [0n, attackerAddress, 0, PRZ(100), tree.proof(attackerAddress, 0, PRZ(100))]);
    await attacker.arm(rewards.target, claimCall);
    await attacker.execute(rewards.target, claimCall);
    await expectBlocked(attacker, rewards);
    expect(await token.balanceOf(attackerAddress)).to.equal(PRZ(1_100));
    const [, , , claimed] = await rewards.getEpoch(0n);
    expect(claimed).to.equal(PRZ(100));
    expect(await token.balanceOf(rewards.target)).to.equal(PRZ(900));
  });
});
