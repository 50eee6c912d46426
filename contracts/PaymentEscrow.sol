// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";

/// @title PaymentEscrow
/// @notice Clients deposit PRZ and pay providers off chain with EIP-712 vouchers carrying a cumulative amount per
///         (client, provider). The provider redeems the latest voucher and receives the difference since its last
///         redemption. A client's withdrawal waits `withdrawalDelay` seconds, during which providers can still
///         redeem against the deposit.
contract PaymentEscrow is ReentrancyGuard, EIP712 {
    using SafeERC20 for IERC20;

    /// @notice A client's promise: `provider` may take up to `cumulativeAmount` in total from the client's deposit.
    struct Voucher {
        address client;
        address provider;
        uint256 cumulativeAmount;
        uint256 nonce;
    }

    struct Withdrawal {
        uint256 amount;
        uint64 releaseTime;
    }

    bytes32 public constant VOUCHER_TYPEHASH =
        keccak256("Voucher(address client,address provider,uint256 cumulativeAmount,uint256 nonce)");

    IERC20 public immutable token;
    uint64 public immutable withdrawalDelay;

    mapping(address client => uint256) private _balances;
    mapping(address client => Withdrawal) private _withdrawals;
    mapping(address client => mapping(address provider => uint256)) private _redeemed;
    mapping(address client => mapping(address provider => uint256)) private _lastNonce;

    event Deposited(address indexed client, uint256 amount, uint256 balance);
    event WithdrawalRequested(address indexed client, uint256 amount, uint64 releaseTime);
    event Withdrawn(address indexed client, uint256 amount);
    event Redeemed(address indexed client, address indexed provider, uint256 nonce, uint256 cumulativeAmount, uint256 paid);

    error ZeroAmount();
    error ZeroAddress();
    error InsufficientBalance(uint256 requested, uint256 available);
    error NoWithdrawalRequested();
    error WithdrawalNotReady(uint64 releaseTime);
    error NotVoucherProvider(address caller, address provider);
    error InvalidSignature(address recovered);
    error StaleNonce(uint256 nonce, uint256 lastNonce);
    error CumulativeAmountDecreased(uint256 cumulativeAmount, uint256 alreadyRedeemed);

    /// @param token_ the PRZ token
    /// @param withdrawalDelay_ seconds between {requestWithdrawal} and {withdraw}
    constructor(address token_, uint64 withdrawalDelay_) EIP712("Peerz Payment Escrow", "1") {
        if (token_ == address(0)) revert ZeroAddress();
        token = IERC20(token_);
        withdrawalDelay = withdrawalDelay_;
    }

    /// @notice Adds `amount` PRZ to the caller's deposit (requires a prior `approve`).
    function deposit(uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        uint256 balance = _balances[msg.sender] + amount;
        _balances[msg.sender] = balance;
        emit Deposited(msg.sender, amount, balance);
        token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @notice Announces a withdrawal of `amount`; it can be taken after `withdrawalDelay`. Replaces any pending
    ///         request and restarts the delay. The funds stay redeemable by providers until then.
    function requestWithdrawal(uint256 amount) external {
        if (amount == 0) revert ZeroAmount();
        uint256 balance = _balances[msg.sender];
        if (amount > balance) revert InsufficientBalance(amount, balance);
        uint64 release = uint64(block.timestamp) + withdrawalDelay;
        _withdrawals[msg.sender] = Withdrawal(amount, release);
        emit WithdrawalRequested(msg.sender, amount, release);
    }

    /// @notice Completes the pending withdrawal; pays the requested amount or, if providers redeemed in the
    ///         meantime, what is left of the deposit.
    function withdraw() external nonReentrant {
        Withdrawal memory w = _withdrawals[msg.sender];
        if (w.amount == 0) revert NoWithdrawalRequested();
        if (block.timestamp < w.releaseTime) revert WithdrawalNotReady(w.releaseTime);
        uint256 balance = _balances[msg.sender];
        uint256 amount = w.amount < balance ? w.amount : balance;
        delete _withdrawals[msg.sender];
        _balances[msg.sender] = balance - amount;
        emit Withdrawn(msg.sender, amount);
        if (amount > 0) token.safeTransfer(msg.sender, amount);
    }

    /// @notice Redeems a voucher signed by its client; pays `cumulativeAmount - redeemed(client, provider)` to
    ///         the provider, who must be the caller. The nonce must exceed the last redeemed one.
    /// @param voucher the voucher
    /// @param signature the client's 65-byte ECDSA signature over {voucherDigest}
    function redeem(Voucher calldata voucher, bytes calldata signature) external nonReentrant {
        if (msg.sender != voucher.provider) revert NotVoucherProvider(msg.sender, voucher.provider);
        (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecover(voucherDigest(voucher), signature);
        if (err != ECDSA.RecoverError.NoError || recovered != voucher.client) revert InvalidSignature(recovered);
        uint256 last = _lastNonce[voucher.client][voucher.provider];
        if (voucher.nonce <= last) revert StaleNonce(voucher.nonce, last);
        uint256 already = _redeemed[voucher.client][voucher.provider];
        if (voucher.cumulativeAmount < already) revert CumulativeAmountDecreased(voucher.cumulativeAmount, already);
        uint256 due = voucher.cumulativeAmount - already;
        uint256 balance = _balances[voucher.client];
        if (due > balance) revert InsufficientBalance(due, balance);

        _lastNonce[voucher.client][voucher.provider] = voucher.nonce;
        _redeemed[voucher.client][voucher.provider] = voucher.cumulativeAmount;
        _balances[voucher.client] = balance - due;
        emit Redeemed(voucher.client, voucher.provider, voucher.nonce, voucher.cumulativeAmount, due);
        if (due > 0) token.safeTransfer(voucher.provider, due);
    }

    /// @notice The client's deposit still in escrow.
    function balanceOf(address client) external view returns (uint256) {
        return _balances[client];
    }

    /// @notice Total already paid from `client` to `provider`.
    function redeemed(address client, address provider) external view returns (uint256) {
        return _redeemed[client][provider];
    }

    /// @notice Last redeemed voucher nonce for (`client`, `provider`); a new voucher needs a larger one.
    function lastNonce(address client, address provider) external view returns (uint256) {
        return _lastNonce[client][provider];
    }

    /// @notice The client's pending withdrawal.
    function pendingWithdrawal(address client) external view returns (uint256 amount, uint64 releaseTime) {
        Withdrawal memory w = _withdrawals[client];
        return (w.amount, w.releaseTime);
    }

    /// @notice The EIP-712 digest a client signs (domain "Peerz Payment Escrow", version "1").
    function voucherDigest(Voucher calldata voucher) public view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(VOUCHER_TYPEHASH, voucher)));
    }
}
