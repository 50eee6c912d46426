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
contract PeerzToken is ERC20, ERC20Burnable, ERC20Permit, ERC20Votes {
    /// @notice The only address allowed to mint (EpochRewards). Zero until {setMinter} is called.
    address public minter;
    /// @notice The address that may call {setMinter} once (the deployer).
    address public immutable deployer;

    /// @notice Emitted once when the minter is fixed.
    event MinterSet(address indexed minter);

    error NotMinter(address caller);
    error NotDeployer(address caller);
    error MinterAlreadySet();
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

    /// @inheritdoc ERC20Permit
    function nonces(address owner) public view override(ERC20Permit, Nonces) returns (uint256) {
        return super.nonces(owner);
    }
}
