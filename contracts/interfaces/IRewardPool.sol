// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice The part of EpochRewards the registry calls to move slashed stake into the current epoch's pool.
interface IRewardPool {
    function fund(uint256 amount) external;
}
