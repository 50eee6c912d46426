// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Burnable} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Burnable.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {ERC20Votes} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Votes.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";

/// @title PeerzToken (PRZ)
/// @notice ERC-20 with EIP-2612 permit and ERC20Votes delegation. Supply is created only at genesis and by the
///         minter (the EpochRewards contract, which follows the emission schedule). The minter is set once by the
///         deployer and can never change afterwards, so no one can mint outside the schedule.
///         The deployer also fixes, once, the contracts whose PRZ can never vote (registry, escrow, rewards).
///         Their votes are delegated, for good, to {LOCKED_SUPPLY_DELEGATE}, an address without a key that no one
///         else may delegate to: ERC20Votes then checkpoints their combined balance on the token's clock (OZ
///         Checkpoints) at no cost to transfers that do not touch them, and the governor bases its quorum on
///         total supply minus that locked supply.
contract PeerzToken is ERC20, ERC20Burnable, ERC20Permit, ERC20Votes {
    /// @notice Holds the (never cast) votes of the non-voting holders; nobody knows a key for this address.
    address public constant LOCKED_SUPPLY_DELEGATE = address(uint160(uint256(keccak256("Peerz locked supply"))));

    /// @notice The only address allowed to mint (EpochRewards). Zero until {setMinter} is called.
    address public minter;
    /// @notice The address that may call {setMinter} once (the deployer).
    address public immutable deployer;
    /// @notice Whether an address is one of the non-voting holders fixed by {setNonVotingHolders}.
    mapping(address account => bool) public isNonVotingHolder;
    /// @notice Whether {setNonVotingHolders} was called.
    bool public nonVotingHoldersSet;

    /// @notice Emitted once when the minter is fixed.
    event MinterSet(address indexed minter);
    /// @notice Emitted once when the non-voting holders are fixed.
    event NonVotingHoldersSet(address[] holders);

    error NotMinter(address caller);
    error NotDeployer(address caller);
    error MinterAlreadySet();
    error NonVotingHoldersAlreadySet();
    error DelegationLocked(address account, address delegatee);
    error ZeroAddress();

    /// @param genesisHolder receives the genesis supply (e.g. the DAO timelock or a distribution contract)
    /// @param genesisSupply amount minted at genesis, in wei (18 decimals)
    constructor(address genesisHolder, uint256 genesisSupply) ERC20("Peerz", "PRZ") ERC20Permit("Peerz") {
        deployer = msg.sender;
        if (genesisSupply > 0) {
            if (genesisHolder == address(0)) revert ZeroAddress();
            _mint(genesisHolder, genesisSupply);
        }
    }

    /// @notice Fixes the minter (the EpochRewards contract). Callable once, by the deployer.
    /// @param newMinter the EpochRewards contract
    function setMinter(address newMinter) external {
        if (msg.sender != deployer) revert NotDeployer(msg.sender);
        if (minter != address(0)) revert MinterAlreadySet();
        if (newMinter == address(0)) revert ZeroAddress();
        minter = newMinter;
        emit MinterSet(newMinter);
    }

    /// @notice Fixes the contracts whose PRZ can never vote (ProviderRegistry, PaymentEscrow, EpochRewards).
    ///         Callable once, by the deployer. Their balances count as locked supply from this block on.
    /// @param holders the non-voting holders (duplicates are ignored)
    function setNonVotingHolders(address[] calldata holders) external {
        if (msg.sender != deployer) revert NotDeployer(msg.sender);
        if (nonVotingHoldersSet) revert NonVotingHoldersAlreadySet();
        nonVotingHoldersSet = true;
        for (uint256 i = 0; i < holders.length; i++) {
            address h = holders[i];
            if (h == address(0)) revert ZeroAddress();
            if (isNonVotingHolder[h]) continue;
            isNonVotingHolder[h] = true;
            _delegate(h, LOCKED_SUPPLY_DELEGATE);
        }
        emit NonVotingHoldersSet(holders);
    }

    /// @notice PRZ held by the non-voting holders now.
    function lockedSupply() external view returns (uint256) {
        return getVotes(LOCKED_SUPPLY_DELEGATE);
    }

    /// @notice PRZ held by the non-voting holders at the end of `timepoint` (a past block number).
    /// @param timepoint a block number before the current one
    function getPastLockedSupply(uint256 timepoint) external view returns (uint256) {
        return getPastVotes(LOCKED_SUPPLY_DELEGATE, timepoint);
    }

    /// @notice Mints epoch emission. Only the minter.
    /// @param to recipient
    /// @param amount amount in wei
    function mint(address to, uint256 amount) external {
        if (msg.sender != minter) revert NotMinter(msg.sender);
        _mint(to, amount);
    }

    function _update(address from, address to, uint256 value) internal override(ERC20, ERC20Votes) {
        super._update(from, to, value);
    }

    /// @dev Non-voting holders stay delegated to {LOCKED_SUPPLY_DELEGATE}, and no one else may delegate to it
    ///      (that would inflate the locked supply and lower the quorum).
    function _delegate(address account, address delegatee) internal override {
        bool locked = isNonVotingHolder[account];
        if (locked != (delegatee == LOCKED_SUPPLY_DELEGATE)) revert DelegationLocked(account, delegatee);
        super._delegate(account, delegatee);
    }

    /// @inheritdoc ERC20Permit
    function nonces(address owner) public view override(ERC20Permit, Nonces) returns (uint256) {
        return super.nonces(owner);
    }
}
