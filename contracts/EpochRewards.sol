// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {IPeerzRewardToken} from "./interfaces/IPeerzRewardToken.sol";
import {IRewardPool} from "./interfaces/IRewardPool.sol";

/// @title EpochRewards
/// @notice Fixed-length epochs. The pool of epoch e is its emission (minted when the epoch is settled, halving
///         every `halvingInterval` epochs) plus everything funded during e (slashed stake, donations) plus the
///         dust left by e-1. The pool splits across roles by weights, R_role = pool · w_role / Σw (floored).
///         The settlement role posts one Merkle root of (account, role, amount) leaves per closed epoch, in
///         order, with the total of each role, each capped by R_role: the weights bind what is posted. Claims
///         open after `rootChallengePeriod`, during which governance may veto the root (its total returns to
///         the pool). Each (account, role) claims once with a proof, for `claimWindowEpochs` epochs; afterwards
///         anyone may sweep the unclaimed rest back into the current pool. Whatever is not allocated (rounding
///         dust, unused role shares) rolls into the next epoch's pool.
///         Weight changes (governance only) apply from the epoch after the one in which they pass.
contract EpochRewards is AccessControl, ReentrancyGuard, IRewardPool {
    using SafeERC20 for IPeerzRewardToken;

    enum Role {
        Inference,
        Training,
        Verification,
        Routing
    }

    struct Epoch {
        bytes32 root;
        uint256 total;
        uint256 pool;
        uint256 claimed;
        bool posted;
        bool vetoed;
        bool swept;
        /// @dev Fixed at posting: claims open at this time and close after epoch `lastClaimEpoch`.
        uint64 claimsOpenAt;
        uint256 lastClaimEpoch;
        uint256[4] roleTotals;
        uint256[4] roleClaimed;
    }

    struct WeightsCheckpoint {
        uint256 fromEpoch;
        uint256[4] weights;
    }

    /// @notice May post epoch roots.
    bytes32 public constant SETTLEMENT_ROLE = keccak256("SETTLEMENT_ROLE");
    uint256 public constant ROLE_COUNT = 4;
    /// @notice Bound on each weight so pool · weight cannot overflow for any realistic supply.
    uint256 public constant MAX_WEIGHT = 1_000_000;
    /// @notice Bounds of the governed claim timing.
    uint64 public constant MAX_ROOT_CHALLENGE_PERIOD = 7 days;
    uint256 public constant MIN_CLAIM_WINDOW = 2;
    uint256 public constant MAX_CLAIM_WINDOW = 520;

    IPeerzRewardToken public immutable token;
    uint64 public immutable genesisTime;
    uint64 public immutable epochLength;
    uint256 public immutable initialEmission;
    /// @notice Emission halves every this many epochs; zero means constant emission.
    uint256 public immutable halvingInterval;
    /// @notice The next epoch whose root may be posted (epochs settle in order).
    uint256 public nextEpochToPost;
    /// @notice Seconds after posting before a root can be claimed (and until which governance can veto it).
    uint64 public rootChallengePeriod;
    /// @notice Epochs after its own during which an epoch can be claimed; then the rest can be swept.
    uint256 public claimWindowEpochs;

    WeightsCheckpoint[] private _weights;
    mapping(uint256 epoch => Epoch) private _epochs;
    mapping(uint256 epoch => uint256) private _inflow;
    mapping(uint256 epoch => mapping(address account => mapping(uint8 role => bool))) private _claimed;

    /// @notice `amount` was added to `epoch`'s pool by `from` (slashed stake, donations).
    event Funded(address indexed from, uint256 indexed epoch, uint256 amount);
    /// @notice A root was posted for `epoch`; `carriedOver` = pool − total went to the next epoch.
    event RootPosted(uint256 indexed epoch, bytes32 root, uint256 total, uint256 pool, uint256 carriedOver);
    /// @notice The per-role totals of a posted root and when claims open.
    event RoleTotalsPosted(uint256 indexed epoch, uint256[4] roleTotals, uint64 claimsOpenAt);
    /// @notice `account` claimed `amount` for `role` in `epoch`.
    event Claimed(uint256 indexed epoch, address indexed account, uint8 indexed role, uint256 amount);
    /// @notice Governance vetoed `epoch`'s root; its total went to the pool of `toEpoch`.
    event RootVetoed(uint256 indexed epoch, uint256 amount, uint256 toEpoch);
    /// @notice The unclaimed rest of `epoch` went to the pool of `toEpoch` after its claim window.
    event Swept(uint256 indexed epoch, uint256 amount, uint256 toEpoch);
    /// @notice Governance set the role weights, effective from `fromEpoch`.
    event RoleWeightsSet(uint256[4] weights, uint256 fromEpoch);
    /// @notice Governance set the root challenge period (applies to roots posted later).
    event RootChallengePeriodSet(uint64 rootChallengePeriod);
    /// @notice Governance set the claim window (applies to roots posted later).
    event ClaimWindowSet(uint256 claimWindowEpochs);

    error ZeroAddress();
    error ZeroAmount();
    error InvalidEpochLength();
    error InvalidWeights();
    error EpochNotNext(uint256 epoch, uint256 expected);
    error EpochNotClosed(uint256 epoch, uint256 current);
    error EmptyRoot();
    error RoleTotalExceedsPool(uint8 role, uint256 total, uint256 pool);
    error EpochNotPosted(uint256 epoch);
    error InvalidRole(uint8 role);
    error AlreadyClaimed(uint256 epoch, address account, uint8 role);
    error InvalidProof();
    error ClaimExceedsTotal(uint256 epoch, uint8 role);
    error ClaimNotOpen(uint256 epoch, uint64 opensAt);
    error ClaimExpired(uint256 epoch, uint256 lastClaimEpoch);
    error EpochIsVetoed(uint256 epoch);
    error ClaimsAlreadyOpen(uint256 epoch, uint64 openedAt);
    error ClaimWindowNotOver(uint256 epoch, uint256 lastClaimEpoch);
    error AlreadySwept(uint256 epoch);
    error OutOfBounds();

    /// @param token_ PRZ (this contract must be its minter)
    /// @param governance receives DEFAULT_ADMIN_ROLE (the timelock; an EOA only on a devnet)
    /// @param epochLength_ seconds per epoch
    /// @param initialEmission_ PRZ minted for epoch 0
    /// @param halvingInterval_ epochs between halvings (0 = never)
    /// @param weights_ initial weights for inference, training, verification, routing
    /// @param rootChallengePeriod_ seconds between posting a root and its claims, in [0, 7 days]
    /// @param claimWindowEpochs_ epochs an epoch stays claimable after it, in [2, 520]
    constructor(
        address token_,
        address governance,
        uint64 epochLength_,
        uint256 initialEmission_,
        uint256 halvingInterval_,
        uint256[4] memory weights_,
        uint64 rootChallengePeriod_,
        uint256 claimWindowEpochs_
    ) {
        if (token_ == address(0) || governance == address(0)) revert ZeroAddress();
        if (epochLength_ == 0) revert InvalidEpochLength();
        _checkWeights(weights_);
        token = IPeerzRewardToken(token_);
        genesisTime = uint64(block.timestamp);
        epochLength = epochLength_;
        initialEmission = initialEmission_;
        halvingInterval = halvingInterval_;
        _grantRole(DEFAULT_ADMIN_ROLE, governance);
        _weights.push(WeightsCheckpoint(0, weights_));
        emit RoleWeightsSet(weights_, 0);
        _setRootChallengePeriod(rootChallengePeriod_);
        _setClaimWindow(claimWindowEpochs_);
    }

    // ---------------------------------------------------------------- pool

    /// @notice Adds `amount` PRZ (pulled with transferFrom) to the current epoch's pool. The registry sends
    ///         slashed stake this way; anyone may donate.
    function fund(uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        uint256 epoch = currentEpoch();
        _inflow[epoch] += amount;
        emit Funded(msg.sender, epoch, amount);
        token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @notice Posts the reward root of a closed epoch (epochs in order) with the total of each role. Mints the
    ///         epoch's emission; the unallocated rest of the pool rolls into the next epoch. Claims open after
    ///         {rootChallengePeriod}. SETTLEMENT_ROLE only.
    /// @param epoch must equal {nextEpochToPost} and be before {currentEpoch}
    /// @param root Merkle root of leaves keccak256(bytes.concat(keccak256(abi.encode(account, uint8 role, amount))))
    /// @param roleTotals_ sum of the leaves' amounts per role; each at most {rolePool} of that role
    function postRoot(uint256 epoch, bytes32 root, uint256[4] calldata roleTotals_)
        external
        onlyRole(SETTLEMENT_ROLE)
        nonReentrant
    {
        if (epoch != nextEpochToPost) revert EpochNotNext(epoch, nextEpochToPost);
        uint256 current = currentEpoch();
        if (epoch >= current) revert EpochNotClosed(epoch, current);
        uint256 emission = emissionOf(epoch);
        uint256 pool = emission + _inflow[epoch];
        uint256[4] memory w = roleWeightsAt(epoch);
        uint256 weightSum = _sum(w);
        uint256 total;
        for (uint8 r = 0; r < ROLE_COUNT; r++) {
            uint256 rolePool_ = (pool * w[r]) / weightSum;
            if (roleTotals_[r] > rolePool_) revert RoleTotalExceedsPool(r, roleTotals_[r], rolePool_);
            total += roleTotals_[r];
        }
        if (root == bytes32(0) && total > 0) revert EmptyRoot();

        nextEpochToPost = epoch + 1;
        Epoch storage e = _epochs[epoch];
        e.root = root;
        e.total = total;
        e.pool = pool;
        e.posted = true;
        e.roleTotals = roleTotals_;
        uint64 opensAt = uint64(block.timestamp) + rootChallengePeriod;
        e.claimsOpenAt = opensAt;
        e.lastClaimEpoch = epoch + claimWindowEpochs;
        uint256 rest = pool - total;
        _inflow[epoch + 1] += rest;
        emit RootPosted(epoch, root, total, pool, rest);
        emit RoleTotalsPosted(epoch, roleTotals_, opensAt);
        if (emission > 0) token.mint(address(this), emission);
    }

    /// @notice Pays `amount` to `account` for `role` in `epoch` if the leaf is in the epoch's root; once per
    ///         (account, role), after the root's challenge period and until the claim window ends.
    ///         Anyone may submit; the tokens always go to `account`.
    /// @param epoch the posted epoch
    /// @param account the rewarded account
    /// @param role 0 inference, 1 training, 2 verification, 3 routing
    /// @param amount the leaf's amount
    /// @param proof Merkle proof of the leaf
    function claim(uint256 epoch, address account, uint8 role, uint256 amount, bytes32[] calldata proof)
        external
        nonReentrant
    {
        if (role >= ROLE_COUNT) revert InvalidRole(role);
        Epoch storage e = _epochs[epoch];
        if (!e.posted) revert EpochNotPosted(epoch);
        if (e.vetoed) revert EpochIsVetoed(epoch);
        if (block.timestamp < e.claimsOpenAt) revert ClaimNotOpen(epoch, e.claimsOpenAt);
        if (currentEpoch() > e.lastClaimEpoch) revert ClaimExpired(epoch, e.lastClaimEpoch);
        if (_claimed[epoch][account][role]) revert AlreadyClaimed(epoch, account, role);
        bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(account, role, amount))));
        if (!MerkleProof.verifyCalldata(proof, e.root, leaf)) revert InvalidProof();
        // Guards against a root whose leaves add up to more than the posted role total.
        if (e.roleClaimed[role] + amount > e.roleTotals[role]) revert ClaimExceedsTotal(epoch, role);
        _claimed[epoch][account][role] = true;
        e.roleClaimed[role] += amount;
        e.claimed += amount;
        emit Claimed(epoch, account, role, amount);
        token.safeTransfer(account, amount);
    }

    /// @notice Vetoes `epoch`'s root before its claims open: the epoch pays nothing and its posted total goes to
    ///         the current epoch's pool. Governance only.
    /// @param epoch a posted epoch whose claims are not open yet
    function vetoRoot(uint256 epoch) external onlyRole(DEFAULT_ADMIN_ROLE) {
        Epoch storage e = _epochs[epoch];
        if (!e.posted) revert EpochNotPosted(epoch);
        if (e.vetoed) revert EpochIsVetoed(epoch);
        if (block.timestamp >= e.claimsOpenAt) revert ClaimsAlreadyOpen(epoch, e.claimsOpenAt);
        e.vetoed = true;
        uint256 toEpoch = currentEpoch();
        _inflow[toEpoch] += e.total;
        emit RootVetoed(epoch, e.total, toEpoch);
    }

    /// @notice After `epoch`'s claim window (once {currentEpoch} > epoch + claim window), returns what was not
    ///         claimed to the current epoch's pool. Anyone may call; once per epoch.
    /// @param epoch a posted, not vetoed epoch
    function sweep(uint256 epoch) external {
        Epoch storage e = _epochs[epoch];
        if (!e.posted) revert EpochNotPosted(epoch);
        if (e.vetoed) revert EpochIsVetoed(epoch);
        if (e.swept) revert AlreadySwept(epoch);
        uint256 toEpoch = currentEpoch();
        if (toEpoch <= e.lastClaimEpoch) revert ClaimWindowNotOver(epoch, e.lastClaimEpoch);
        e.swept = true;
        uint256 amount = e.total - e.claimed;
        _inflow[toEpoch] += amount;
        emit Swept(epoch, amount, toEpoch);
    }

    // ---------------------------------------------------------------- governance

    /// @notice Sets the role weights (inference, training, verification, routing) from the next epoch on.
    ///         Governance only. Σw must be positive and each weight ≤ MAX_WEIGHT.
    function setRoleWeights(uint256[4] calldata weights_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _checkWeights(weights_);
        uint256 fromEpoch = currentEpoch() + 1;
        WeightsCheckpoint storage last = _weights[_weights.length - 1];
        if (last.fromEpoch == fromEpoch) {
            last.weights = weights_;
        } else {
            _weights.push(WeightsCheckpoint(fromEpoch, weights_));
        }
        emit RoleWeightsSet(weights_, fromEpoch);
    }

    /// @notice Sets the root challenge period, in [0, 7 days], for roots posted later. Governance only.
    /// @param rootChallengePeriod_ seconds
    function setRootChallengePeriod(uint64 rootChallengePeriod_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setRootChallengePeriod(rootChallengePeriod_);
    }

    /// @notice Sets the claim window, in [2, 520] epochs, for roots posted later. Governance only.
    /// @param claimWindowEpochs_ epochs
    function setClaimWindow(uint256 claimWindowEpochs_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setClaimWindow(claimWindowEpochs_);
    }

    // ---------------------------------------------------------------- views

    /// @notice The epoch in progress (0-based since deployment).
    function currentEpoch() public view returns (uint256) {
        return (block.timestamp - genesisTime) / epochLength;
    }

    /// @notice Start time of `epoch` (unix seconds).
    function epochStart(uint256 epoch) external view returns (uint256) {
        return genesisTime + epoch * epochLength;
    }

    /// @notice Emission of `epoch` under the halving schedule.
    function emissionOf(uint256 epoch) public view returns (uint256) {
        if (halvingInterval == 0) return initialEmission;
        uint256 halvings = epoch / halvingInterval;
        return halvings >= 256 ? 0 : initialEmission >> halvings;
    }

    /// @notice The pool of `epoch`: final once posted, otherwise what it would be with the inflow so far.
    function epochPool(uint256 epoch) public view returns (uint256) {
        Epoch storage e = _epochs[epoch];
        if (e.posted) return e.pool;
        return emissionOf(epoch) + _inflow[epoch];
    }

    /// @notice R_role = pool · w_role / Σw for `epoch` (floored).
    function rolePool(uint256 epoch, Role role) external view returns (uint256) {
        uint256[4] memory w = roleWeightsAt(epoch);
        return (epochPool(epoch) * w[uint8(role)]) / _sum(w);
    }

    /// @notice Weights of the current epoch (inference, training, verification, routing).
    function roleWeights() external view returns (uint256[4] memory) {
        return roleWeightsAt(currentEpoch());
    }

    /// @notice Weights that apply to `epoch`.
    function roleWeightsAt(uint256 epoch) public view returns (uint256[4] memory) {
        // Newest first: the epochs asked about are recent and checkpoints are rare (one per passed proposal).
        for (uint256 i = _weights.length; i > 0; i--) {
            if (_weights[i - 1].fromEpoch <= epoch) return _weights[i - 1].weights;
        }
        return _weights[0].weights;
    }

    /// @notice Root, total, pool, amount claimed and whether `epoch` is posted.
    function getEpoch(uint256 epoch)
        external
        view
        returns (bytes32 root, uint256 total, uint256 pool, uint256 claimedAmount, bool posted)
    {
        Epoch storage e = _epochs[epoch];
        return (e.root, e.total, e.pool, e.claimed, e.posted);
    }

    /// @notice The posted per-role totals of `epoch` (inference, training, verification, routing).
    function roleTotals(uint256 epoch) external view returns (uint256[4] memory) {
        return _epochs[epoch].roleTotals;
    }

    /// @notice What was claimed so far per role in `epoch`.
    function roleClaimed(uint256 epoch) external view returns (uint256[4] memory) {
        return _epochs[epoch].roleClaimed;
    }

    /// @notice When claims of `epoch` open (0 if not posted).
    function claimsOpenAt(uint256 epoch) external view returns (uint64) {
        return _epochs[epoch].claimsOpenAt;
    }

    /// @notice The last epoch during which `epoch` can be claimed, whether it was vetoed, and whether swept.
    function epochStatus(uint256 epoch) external view returns (uint256 lastClaimEpoch, bool vetoed, bool swept) {
        Epoch storage e = _epochs[epoch];
        return (e.lastClaimEpoch, e.vetoed, e.swept);
    }

    /// @notice Whether `account` claimed its `role` leaf of `epoch`.
    function isClaimed(uint256 epoch, address account, uint8 role) external view returns (bool) {
        return _claimed[epoch][account][role];
    }

    function _setRootChallengePeriod(uint64 period) private {
        if (period > MAX_ROOT_CHALLENGE_PERIOD) revert OutOfBounds();
        rootChallengePeriod = period;
        emit RootChallengePeriodSet(period);
    }

    function _setClaimWindow(uint256 epochs) private {
        if (epochs < MIN_CLAIM_WINDOW || epochs > MAX_CLAIM_WINDOW) revert OutOfBounds();
        claimWindowEpochs = epochs;
        emit ClaimWindowSet(epochs);
    }

    function _sum(uint256[4] memory w) private pure returns (uint256) {
        return w[0] + w[1] + w[2] + w[3];
    }

    function _checkWeights(uint256[4] memory w) private pure {
        for (uint256 r = 0; r < ROLE_COUNT; r++) {
            if (w[r] > MAX_WEIGHT) revert InvalidWeights();
        }
        if (_sum(w) == 0) revert InvalidWeights();
    }
}
