// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @notice What the Peerz contracts need from PRZ beyond ERC-20: minting (EpochRewards) and burning (slashing
///         without a reward pool). Kept as an interface so tests can plug in a hostile token.
interface IPeerzRewardToken is IERC20 {
    function mint(address to, uint256 amount) external;

    function burn(uint256 amount) external;
}
