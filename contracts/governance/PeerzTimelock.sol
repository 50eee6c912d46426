// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";

/// @title PeerzTimelock
/// @notice OpenZeppelin TimelockController, unchanged; a named contract so the build emits its artifact for the
///         deployers (JS and C#). It holds DEFAULT_ADMIN_ROLE of ProviderRegistry and EpochRewards; the governor
///         is its only proposer and canceller, anyone may execute a ready operation.
contract PeerzTimelock is TimelockController {
    /// @param minDelay seconds between queue and execute
    /// @param proposers the governor
    /// @param executors address(0) = anyone
    /// @param admin optional bootstrap admin (address(0) for none)
    constructor(uint256 minDelay, address[] memory proposers, address[] memory executors, address admin)
        TimelockController(minDelay, proposers, executors, admin)
    {}
}
