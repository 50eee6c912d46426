// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @notice Receives the ERC-777-style callback of {HookToken}.
interface ITokensReceived {
    function tokensReceived(address from, uint256 amount) external;
}

/// @notice TEST ONLY. An ERC-20 that, like ERC-777, calls `tokensReceived` on a receiving contract during every
///         transfer, handing control to the recipient in the middle of the sender's function. Used to attack the
///         Peerz contracts with reentrancy. Mint and burn are open, as a test token needs.
contract HookToken is ERC20 {
    /// @dev Like ERC-1820 registration: only contracts that opt in get the callback.
    mapping(address => bool) public hooked;

    constructor() ERC20("Hook", "HOOK") {}

    function registerHook() external {
        hooked[msg.sender] = true;
    }

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function burn(uint256 amount) external {
        _burn(msg.sender, amount);
    }

    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value);
        if (hooked[to] && from != address(0)) {
            ITokensReceived(to).tokensReceived(from, value);
        }
    }
}
