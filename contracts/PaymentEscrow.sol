// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {IRewardPool} from "./interfaces/IRewardPool.sol";

/// @title PaymentEscrow
/// @notice Clients deposit PRZ and pay providers off chain with EIP-712 vouchers carrying a cumulative amount per
///         (client, provider). A deposit pays no one directly: the client reserves part of it into a lane per
///         provider, and a voucher is paid only from its provider's lane, so one deposit cannot be promised to
///         several providers. Taking funds back out of a lane ({requestRelease}) or out of the escrow
///         ({requestWithdrawal}) waits `withdrawalDelay` seconds; a release request lowers what new vouchers can
///         draw at once, while vouchers the provider accepted before stay redeemable until the release.
///         A governed protocol fee (`protocolFeeBps` of every redemption, at most MAX_PROTOCOL_FEE_BPS) goes to the
///         reward pool: rewards are paid per PRZ redeemed, so without it a client and a provider owned by one person
///         could cycle PRZ through the escrow at no cost and farm epoch rewards (docs/economics.md, "Self-dealing").
///         The fee paid per (client, provider) is kept, so settlement can cap rewards by what the work paid in fees.
contract PaymentEscrow is AccessControl, ReentrancyGuard, EIP712 {
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

    /// @dev Funds reserved by a client for one provider; `releasing` of them leave at `releaseTime`.
    struct Lane {
        uint256 amount;
        uint256 releasing;
        uint64 releaseTime;
    }

    bytes32 public constant VOUCHER_TYPEHASH =
        keccak256("Voucher(address client,address provider,uint256 cumulativeAmount,uint256 nonce)");

    /// @notice Upper bound of the governed fee (20 %): governance cannot take providers' earnings.
    uint16 public constant MAX_PROTOCOL_FEE_BPS = 2_000;

    IERC20 public immutable token;
    uint64 public immutable withdrawalDelay;
    /// @notice Share of every redemption, in basis points, sent to {rewardPool} instead of the provider.
    uint16 public protocolFeeBps;
    /// @notice Where fees go (EpochRewards); must be set before a fee is.
    address public rewardPool;

    mapping(address client => uint256) private _balances;
    mapping(address client => Withdrawal) private _withdrawals;
    mapping(address client => mapping(address provider => uint256)) private _redeemed;
    mapping(address client => mapping(address provider => uint256)) private _lastNonce;
    mapping(address client => mapping(address provider => Lane)) private _lanes;
    mapping(address client => mapping(address provider => uint256)) private _feesPaid;

    /// @notice A client deposited `amount`; `balance` is its unreserved balance after it.
    event Deposited(address indexed client, uint256 amount, uint256 balance);
    /// @notice A client moved `amount` out of its balance into its pending withdrawal, payable at `releaseTime`.
    event WithdrawalRequested(address indexed client, uint256 amount, uint64 releaseTime);
    /// @notice A client's pending withdrawal was paid.
    event Withdrawn(address indexed client, uint256 amount);
    /// @notice A provider redeemed a voucher: `paid` left the lane, of which `fee` went to the reward pool and the
    ///         rest to the provider.
    event Redeemed(address indexed client, address indexed provider, uint256 nonce, uint256 cumulativeAmount, uint256 paid, uint256 fee);
    /// @notice Governance set the protocol fee.
    event ProtocolFeeSet(uint16 protocolFeeBps);
    /// @notice Governance set where fees go.
    event RewardPoolSet(address rewardPool);
    /// @notice A client reserved `amount` for `provider`; `lane` is the lane's amount after it.
    event Reserved(address indexed client, address indexed provider, uint256 amount, uint256 lane);
    /// @notice A client asked to take `amount` out of its lane for `provider` at `releaseTime`.
    event ReleaseRequested(address indexed client, address indexed provider, uint256 amount, uint64 releaseTime);
    /// @notice `amount` went from the lane back to the client's unreserved balance.
    event Released(address indexed client, address indexed provider, uint256 amount);

    error ZeroAmount();
    error ZeroAddress();
    error InsufficientBalance(uint256 requested, uint256 available);
    error NoWithdrawalRequested();
    error WithdrawalNotReady(uint64 releaseTime);
    error NotVoucherProvider(address caller, address provider);
    error InvalidSignature(address recovered);
    error StaleNonce(uint256 nonce, uint256 lastNonce);
    error CumulativeAmountDecreased(uint256 cumulativeAmount, uint256 alreadyRedeemed);
    error InsufficientLane(uint256 requested, uint256 lane);
    error NoReleaseRequested();
    error ReleaseNotReady(uint64 releaseTime);
    error FeeOutOfBounds(uint16 protocolFeeBps);
    error NotAContract(address account);
    error NoRewardPool();

    /// @param token_ the PRZ token
    /// @param withdrawalDelay_ seconds between {requestWithdrawal} and {withdraw}
    /// @dev The deployer is the admin (the deploy script sets the pool and fee, then hands over to the timelock);
    ///      the fee starts at zero.
    constructor(address token_, uint64 withdrawalDelay_) EIP712("Peerz Payment Escrow", "1") {
        if (token_ == address(0)) revert ZeroAddress();
        token = IERC20(token_);
        withdrawalDelay = withdrawalDelay_;
        _grantRole(DEFAULT_ADMIN_ROLE, msg.sender);
    }

    /// @notice Sets where fees go (EpochRewards, a contract). Zero only while the fee is zero. Governance only.
    function setRewardPool(address rewardPool_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (rewardPool_ == address(0)) {
            if (protocolFeeBps != 0) revert NoRewardPool();
        } else if (rewardPool_.code.length == 0) {
            revert NotAContract(rewardPool_);
        }
        rewardPool = rewardPool_;
        emit RewardPoolSet(rewardPool_);
    }

    /// @notice Sets the fee on later redemptions, at most MAX_PROTOCOL_FEE_BPS; a non-zero fee needs a reward pool.
    ///         Governance only.
    function setProtocolFee(uint16 protocolFeeBps_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (protocolFeeBps_ > MAX_PROTOCOL_FEE_BPS) revert FeeOutOfBounds(protocolFeeBps_);
        if (protocolFeeBps_ != 0 && rewardPool == address(0)) revert NoRewardPool();
        protocolFeeBps = protocolFeeBps_;
        emit ProtocolFeeSet(protocolFeeBps_);
    }

    /// @notice Adds `amount` PRZ to the caller's deposit (requires a prior `approve`).
    function deposit(uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        uint256 balance = _balances[msg.sender] + amount;
        _balances[msg.sender] = balance;
        emit Deposited(msg.sender, amount, balance);
        token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @notice Moves `amount` out of the caller's unreserved balance into its pending withdrawal at once (no
    ///         voucher can draw on it any more); it can be taken after `withdrawalDelay`. Adds to a pending
    ///         request and restarts the delay.
    /// @param amount PRZ to withdraw
    function requestWithdrawal(uint256 amount) external {
        if (amount == 0) revert ZeroAmount();
        uint256 balance = _balances[msg.sender];
        if (amount > balance) revert InsufficientBalance(amount, balance);
        _balances[msg.sender] = balance - amount;
        uint64 releaseAt = uint64(block.timestamp) + withdrawalDelay;
        Withdrawal storage w = _withdrawals[msg.sender];
        w.amount += amount;
        w.releaseTime = releaseAt;
        emit WithdrawalRequested(msg.sender, amount, releaseAt);
    }

    /// @notice Pays the caller's pending withdrawal once its delay has passed.
    function withdraw() external nonReentrant {
        Withdrawal memory w = _withdrawals[msg.sender];
        if (w.amount == 0) revert NoWithdrawalRequested();
        if (block.timestamp < w.releaseTime) revert WithdrawalNotReady(w.releaseTime);
        delete _withdrawals[msg.sender];
        emit Withdrawn(msg.sender, w.amount);
        token.safeTransfer(msg.sender, w.amount);
    }

    /// @notice Reserves `amount` of the caller's unreserved balance for `provider`: only that provider's
    ///         vouchers are paid from it.
    /// @param provider the provider the lane pays
    /// @param amount PRZ to add to the lane
    function reserve(address provider, uint256 amount) external {
        if (provider == address(0)) revert ZeroAddress();
        if (amount == 0) revert ZeroAmount();
        uint256 balance = _balances[msg.sender];
        if (amount > balance) revert InsufficientBalance(amount, balance);
        _balances[msg.sender] = balance - amount;
        Lane storage l = _lanes[msg.sender][provider];
        l.amount += amount;
        emit Reserved(msg.sender, provider, amount, l.amount);
    }

    /// @notice Asks to take `amount` out of the caller's lane for `provider` after `withdrawalDelay`. From now on
    ///         {spendable} excludes it, but the provider can still redeem from it until {release}. Replaces any
    ///         earlier request (and restarts the delay).
    /// @param provider the lane's provider
    /// @param amount PRZ to release (at most the lane)
    function requestRelease(address provider, uint256 amount) external {
        if (amount == 0) revert ZeroAmount();
        Lane storage l = _lanes[msg.sender][provider];
        if (amount > l.amount) revert InsufficientLane(amount, l.amount);
        uint64 releaseAt = uint64(block.timestamp) + withdrawalDelay;
        l.releasing = amount;
        l.releaseTime = releaseAt;
        emit ReleaseRequested(msg.sender, provider, amount, releaseAt);
    }

    /// @notice After the release time, moves what is left of the requested amount (min(releasing, lane)) from
    ///         the caller's lane for `provider` back to its unreserved balance.
    /// @param provider the lane's provider
    function release(address provider) external {
        Lane storage l = _lanes[msg.sender][provider];
        if (l.releasing == 0) revert NoReleaseRequested();
        if (block.timestamp < l.releaseTime) revert ReleaseNotReady(l.releaseTime);
        uint256 amount = l.releasing < l.amount ? l.releasing : l.amount;
        l.amount -= amount;
        l.releasing = 0;
        l.releaseTime = 0;
        _balances[msg.sender] += amount;
        emit Released(msg.sender, provider, amount);
    }

    /// @notice Redeems a voucher signed by its client; takes `cumulativeAmount - redeemed(client, provider)` from
    ///         the client's lane for that provider and pays it, less the protocol fee (floored), to the provider, who
    ///         must be the caller; the fee goes to the reward pool. The nonce must exceed the last redeemed one.
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
        Lane storage l = _lanes[voucher.client][voucher.provider];
        if (due > l.amount) revert InsufficientLane(due, l.amount);

        _lastNonce[voucher.client][voucher.provider] = voucher.nonce;
        _redeemed[voucher.client][voucher.provider] = voucher.cumulativeAmount;
        l.amount -= due;
        uint256 fee = due * protocolFeeBps / 10_000;
        if (fee > 0) _feesPaid[voucher.client][voucher.provider] += fee;
        emit Redeemed(voucher.client, voucher.provider, voucher.nonce, voucher.cumulativeAmount, due, fee);
        if (due > fee) token.safeTransfer(voucher.provider, due - fee);
        if (fee > 0) {
            address pool = rewardPool;
            token.forceApprove(pool, fee);
            IRewardPool(pool).fund(fee);
        }
    }

    /// @notice The client's unreserved balance (not in a lane, not pending withdrawal).
    function balanceOf(address client) external view returns (uint256) {
        return _balances[client];
    }

    /// @notice The client's lane for `provider`: its amount, the part requested for release and when.
    function lane(address client, address provider)
        external
        view
        returns (uint256 amount, uint256 releasing, uint64 releaseTime)
    {
        Lane storage l = _lanes[client][provider];
        return (l.amount, l.releasing, l.releaseTime);
    }

    /// @notice What new vouchers of `client` may still draw from `provider`'s lane: amount − releasing (or 0).
    ///         A provider accepts a voucher only if cumulativeAmount ≤ redeemed + spendable.
    function spendable(address client, address provider) external view returns (uint256) {
        Lane storage l = _lanes[client][provider];
        return l.amount > l.releasing ? l.amount - l.releasing : 0;
    }

    /// @notice Total already paid from `client` to `provider`.
    function redeemed(address client, address provider) external view returns (uint256) {
        return _redeemed[client][provider];
    }

    /// @notice Total protocol fee taken from what `client` paid `provider` (part of {redeemed}).
    function feesPaid(address client, address provider) external view returns (uint256) {
        return _feesPaid[client][provider];
    }

    /// @notice Last redeemed voucher nonce for (`client`, `provider`); a new voucher needs a larger one.
    function lastNonce(address client, address provider) external view returns (uint256) {
        return _lastNonce[client][provider];
    }

    /// @notice The client's pending withdrawal (already out of its balance).
    function pendingWithdrawal(address client) external view returns (uint256 amount, uint64 releaseTime) {
        Withdrawal memory w = _withdrawals[client];
        return (w.amount, w.releaseTime);
    }

    /// @notice The EIP-712 digest a client signs (domain "Peerz Payment Escrow", version "1").
    function voucherDigest(Voucher calldata voucher) public view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(VOUCHER_TYPEHASH, voucher)));
    }
}
