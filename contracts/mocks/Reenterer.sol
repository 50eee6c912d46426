// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ITokensReceived} from "./HookToken.sol";

/// @notice TEST ONLY. A hostile account: acts as provider/client/claimant through {execute}, and when it receives
///         tokens (HookToken callback) it re-enters a target with prepared calldata, once, recording the result.
contract Reenterer is ITokensReceived {
    address public target;
    bytes public payload;
    bool public armed;
    bool public attempted;
    bool public reentrySucceeded;
    bytes public reentryRevertData;

    /// @notice Calls `to` with `data` as this contract (used for approve, stake, deposit, redeem, ...).
    function execute(address to, bytes calldata data) external returns (bytes memory) {
        (bool ok, bytes memory ret) = to.call(data);
        if (!ok) {
            assembly {
                revert(add(ret, 32), mload(ret))
            }
        }
        return ret;
    }

    /// @notice Prepares the reentrant call made on the next token receipt.
    function arm(address target_, bytes calldata payload_) external {
        target = target_;
        payload = payload_;
        armed = true;
    }

    function tokensReceived(address, uint256) external override {
        if (!armed) return;
        armed = false;
        attempted = true;
        (bool ok, bytes memory ret) = target.call(payload);
        reentrySucceeded = ok;
        reentryRevertData = ret;
    }
}
