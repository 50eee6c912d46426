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
///         The settlement role posts one Merkle root of (account, amount) leaves per closed epoch, in order; the
///         posted total may not exceed Σ R_role. Accounts claim once with a proof. Whatever is not allocated
///         (rounding dust, unused role shares) rolls into the next epoch's pool.
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

    IPeerzRewardToken public immutable token;
    uint64 public immutable genesisTime;
    uint64 public immutable epochLength;
    uint256 public immutable initialEmission;
    /// @notice Emission halves every this many epochs; zero means constant emission.
    uint256 public immutable halvingInterval;
    /// @notice The next epoch whose root may be posted (epochs settle in order).
    uint256 public nextEpochToPost;

    WeightsCheckpoint[] private _weights;
    mapping(uint256 epoch => Epoch) private _epochs;
    mapping(uint256 epoch => uint256) private _inflow;
    mapping(uint256 epoch => mapping(address account => bool)) private _claimed;

    event Funded(address indexed from, uint256 indexed epoch, uint256 amount);
    event RootPosted(uint256 indexed epoch, bytes32 root, uint256 total, uint256 pool, uint256 carriedOver);
    event Claimed(uint256 indexed epoch, address indexed account, uint256 amount);
    event RoleWeightsSet(uint256[4] weights, uint256 fromEpoch);

    error ZeroAddress();
    error ZeroAmount();
    error InvalidEpochLength();
    error InvalidWeights();
    error EpochNotNext(uint256 epoch, uint256 expected);
    error EpochNotClosed(uint256 epoch, uint256 current);
    error EmptyRoot();
    error TotalExceedsPool(uint256 total, uint256 available);
    error EpochNotPosted(uint256 epoch);
    error AlreadyClaimed(uint256 epoch, address account);
    error InvalidProof();
    error ClaimExceedsTotal(uint256 epoch);

    /// @param token_ PRZ (this contract must be its minter)
    /// @param governance receives DEFAULT_ADMIN_ROLE (the timelock; an EOA only on a devnet)
    /// @param epochLength_ seconds per epoch
    /// @param initialEmission_ PRZ minted for epoch 0
    /// @param halvingInterval_ epochs between halvings (0 = never)
    /// @param weights_ initial weights for inference, training, verification, routing
    constructor(
        address token_,
        address governance,
        uint64 epochLength_,
        uint256 initialEmission_,
        uint256 halvingInterval_,
        uint256[4] memory weights_
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

    /// @notice Posts the reward root of a closed epoch (epochs in order). Mints the epoch's emission; the
    ///         unallocated rest of the pool rolls into the next epoch. SETTLEMENT_ROLE only.
    /// @param epoch must equal {nextEpochToPost} and be before {currentEpoch}
    /// @param root Merkle root of leaves keccak256(bytes.concat(keccak256(abi.encode(account, amount))))
    /// @param total sum of the leaves' amounts; at most Σ_role {rolePool}
    function postRoot(uint256 epoch, bytes32 root, uint256 total) external onlyRole(SETTLEMENT_ROLE) nonReentrant {
        if (epoch != nextEpochToPost) revert EpochNotNext(epoch, nextEpochToPost);
        uint256 current = currentEpoch();
        if (epoch >= current) revert EpochNotClosed(epoch, current);
        if (root == bytes32(0) && total > 0) revert EmptyRoot();
        uint256 emission = emissionOf(epoch);
        uint256 pool = emission + _inflow[epoch];
        uint256 allocatable = _allocatable(pool, roleWeightsAt(epoch));
        if (total > allocatable) revert TotalExceedsPool(total, allocatable);

        nextEpochToPost = epoch + 1;
        _epochs[epoch] = Epoch(root, total, pool, 0, true);
        uint256 rest = pool - total;
        _inflow[epoch + 1] += rest;
        emit RootPosted(epoch, root, total, pool, rest);
        if (emission > 0) token.mint(address(this), emission);
    }

    /// @notice Pays `amount` to `account` for `epoch` if the leaf is in the epoch's root; once per account.
    ///         Anyone may submit; the tokens always go to `account`.
    function claim(uint256 epoch, address account, uint256 amount, bytes32[] calldata proof) external nonReentrant {
        Epoch storage e = _epochs[epoch];
        if (!e.posted) revert EpochNotPosted(epoch);
        if (_claimed[epoch][account]) revert AlreadyClaimed(epoch, account);
        bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(account, amount))));
        if (!MerkleProof.verifyCalldata(proof, e.root, leaf)) revert InvalidProof();
        // Guards against a root whose leaves add up to more than the posted total.
        if (e.claimed + amount > e.total) revert ClaimExceedsTotal(epoch);
        _claimed[epoch][account] = true;
        e.claimed += amount;
        emit Claimed(epoch, account, amount);
        token.safeTransfer(account, amount);
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

    /// @notice Whether `account` claimed for `epoch`.
    function isClaimed(uint256 epoch, address account) external view returns (bool) {
        return _claimed[epoch][account];
    }

    function _allocatable(uint256 pool, uint256[4] memory w) private pure returns (uint256 sum) {
        uint256 total = _sum(w);
        for (uint256 r = 0; r < ROLE_COUNT; r++) {
            sum += (pool * w[r]) / total;
        }
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
