import { expect } from "chai";
import { network } from "hardhat";
import { Signature } from "ethers";
import { PRZ } from "./lib/helpers.js";

const { ethers, networkHelpers } = await network.getOrCreate();
const { loadFixture, time } = networkHelpers;

describe("PeerzToken", function () {
  async function fixture() {
    const [deployer, holder, minter, spender, outsider] = await ethers.getSigners();
    const token = await ethers.deployContract("PeerzToken", [holder.address, PRZ(1_000_000)]);
    return { token, deployer, holder, minter, spender, outsider };
  }

  it("has the PRZ metadata and the genesis supply at the holder", async function () {
    const { token, holder, deployer } = await loadFixture(fixture);
    expect(await token.name()).to.equal("Peerz");
    expect(await token.symbol()).to.equal("PRZ");
    expect(await token.decimals()).to.equal(18n);
    expect(await token.totalSupply()).to.equal(PRZ(1_000_000));
    expect(await token.balanceOf(holder.address)).to.equal(PRZ(1_000_000));
    expect(await token.deployer()).to.equal(deployer.address);
  });

  it("lets only the deployer set the minter, once, and only the minter mint", async function () {
    const { token, deployer, minter, outsider } = await loadFixture(fixture);
    await expect(token.connect(outsider).mint(outsider.address, 1n)).to.be.revertedWithCustomError(token, "NotMinter");
    await expect(token.connect(outsider).setMinter(outsider.address))
      .to.be.revertedWithCustomError(token, "NotDeployer")
      .withArgs(outsider.address);
    await expect(token.connect(deployer).setMinter(ethers.ZeroAddress)).to.be.revertedWithCustomError(token, "ZeroAddress");
    await expect(token.connect(deployer).setMinter(minter.address)).to.emit(token, "MinterSet").withArgs(minter.address);
    await expect(token.connect(deployer).setMinter(outsider.address)).to.be.revertedWithCustomError(token, "MinterAlreadySet");
    await expect(token.connect(minter).mint(outsider.address, PRZ(3))).to.emit(token, "Transfer");
    expect(await token.balanceOf(outsider.address)).to.equal(PRZ(3));
    await expect(token.connect(deployer).mint(deployer.address, 1n))
      .to.be.revertedWithCustomError(token, "NotMinter")
      .withArgs(deployer.address);
  });

  it("lets only the deployer fix the non-voting holders, once, and checkpoints their balances as locked supply", async function () {
    const { token, deployer, holder, minter, spender, outsider } = await loadFixture(fixture);
    // `spender` and `outsider` stand in for the escrow and the registry; `minter` for the reward contract.
    await token.connect(holder).transfer(spender.address, PRZ(7));
    await expect(token.connect(outsider).setNonVotingHolders([spender.address]))
      .to.be.revertedWithCustomError(token, "NotDeployer")
      .withArgs(outsider.address);
    await expect(token.connect(deployer).setNonVotingHolders([ethers.ZeroAddress])).to.be.revertedWithCustomError(token, "ZeroAddress");
    await expect(token.connect(deployer).setNonVotingHolders([spender.address, outsider.address, minter.address, spender.address]))
      .to.emit(token, "NonVotingHoldersSet");
    await expect(token.connect(deployer).setNonVotingHolders([holder.address])).to.be.revertedWithCustomError(
      token,
      "NonVotingHoldersAlreadySet",
    );
    expect(await token.lockedSupply()).to.equal(PRZ(7)); // counted once despite the duplicate
    const b0 = await ethers.provider.getBlockNumber();
    await token.connect(holder).transfer(outsider.address, PRZ(10)); // into a locked holder
    const b1 = await ethers.provider.getBlockNumber();
    await token.connect(outsider).transfer(spender.address, PRZ(4)); // between locked holders: no change
    await token.connect(spender).transfer(holder.address, PRZ(5)); // out of a locked holder
    const b2 = await ethers.provider.getBlockNumber();
    await token.connect(deployer).setMinter(minter.address);
    await token.connect(minter).mint(minter.address, PRZ(100)); // minted to a locked holder
    await token.connect(minter).burn(PRZ(30)); // burned by a locked holder
    const b3 = await ethers.provider.getBlockNumber();
    await networkHelpers.mine();
    expect(await token.getPastLockedSupply(b0)).to.equal(PRZ(7));
    expect(await token.getPastLockedSupply(b1)).to.equal(PRZ(17));
    expect(await token.getPastLockedSupply(b2)).to.equal(PRZ(12));
    expect(await token.getPastLockedSupply(b3)).to.equal(PRZ(82));
    expect(await token.lockedSupply()).to.equal(
      (await token.balanceOf(spender.address)) + (await token.balanceOf(outsider.address)) + (await token.balanceOf(minter.address)),
    );
    await expect(token.getPastLockedSupply(await ethers.provider.getBlockNumber())).to.be.revertedWithCustomError(
      token,
      "ERC5805FutureLookup",
    );
    // The locked votes can be neither moved by a non-voting holder nor inflated by anyone else.
    const locked = await token.LOCKED_SUPPLY_DELEGATE();
    await expect(token.connect(spender).delegate(spender.address))
      .to.be.revertedWithCustomError(token, "DelegationLocked")
      .withArgs(spender.address, spender.address);
    await expect(token.connect(holder).delegate(locked))
      .to.be.revertedWithCustomError(token, "DelegationLocked")
      .withArgs(holder.address, locked);
    await token.connect(holder).delegate(holder.address);
  });

  it("accepts an EIP-2612 permit signed with ethers and rejects its replay and expired permits", async function () {
    const { token, holder, spender } = await loadFixture(fixture);
    const { chainId } = await ethers.provider.getNetwork();
    const deadline = BigInt(await time.latest()) + 3600n;
    const domain = { name: "Peerz", version: "1", chainId, verifyingContract: await token.getAddress() };
    const types = {
      Permit: [
        { name: "owner", type: "address" },
        { name: "spender", type: "address" },
        { name: "value", type: "uint256" },
        { name: "nonce", type: "uint256" },
        { name: "deadline", type: "uint256" },
      ],
    };
    const value = { owner: holder.address, spender: spender.address, value: PRZ(5), nonce: 0n, deadline };
    const sig = Signature.from(await holder.signTypedData(domain, types, value));
    await token.connect(spender).permit(holder.address, spender.address, PRZ(5), deadline, sig.v, sig.r, sig.s);
    expect(await token.allowance(holder.address, spender.address)).to.equal(PRZ(5));
    expect(await token.nonces(holder.address)).to.equal(1n);
    await expect(
      token.connect(spender).permit(holder.address, spender.address, PRZ(5), deadline, sig.v, sig.r, sig.s),
    ).to.be.revertedWithCustomError(token, "ERC2612InvalidSigner");
    const late = { ...value, nonce: 1n, deadline: BigInt(await time.latest()) - 1n };
    const lateSig = Signature.from(await holder.signTypedData(domain, types, late));
    await expect(
      token.connect(spender).permit(holder.address, spender.address, PRZ(5), late.deadline, lateSig.v, lateSig.r, lateSig.s),
    ).to.be.revertedWithCustomError(token, "ERC2612ExpiredSignature");
  });

  it("counts votes after delegation and moves them with transfers", async function () {
    const { token, holder, outsider } = await loadFixture(fixture);
    expect(await token.getVotes(holder.address)).to.equal(0n);
    await token.connect(holder).delegate(holder.address);
    expect(await token.getVotes(holder.address)).to.equal(PRZ(1_000_000));
    await token.connect(holder).transfer(outsider.address, PRZ(400_000));
    expect(await token.getVotes(holder.address)).to.equal(PRZ(600_000));
    const block = await ethers.provider.getBlockNumber();
    await networkHelpers.mine();
    expect(await token.getPastVotes(holder.address, block)).to.equal(PRZ(600_000));
  });
});
