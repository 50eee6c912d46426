// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {IPeerzRewardToken} from "./interfaces/IPeerzRewardToken.sol";
import {IRewardPool} from "./interfaces/IRewardPool.sol";

/// @title ProviderRegistry
/// @notice Providers stake PRZ, register the key that signs their receipts, their libp2p peer id and their price
///         per token. Holders of VERIFIER_ROLE slash a provider with a receipt it signed (EIP-712, checked here);
///         the slashed share moves to the reward pool (or is burned when none is set) and the provider is jailed.
///         Parameters and role holders change only through DEFAULT_ADMIN_ROLE, held by the governance timelock.
contract ProviderRegistry is AccessControl, ReentrancyGuard, EIP712 {
    using SafeERC20 for IPeerzRewardToken;

    /// @notice What a provider signs for every response (the verifier's evidence).
    struct Receipt {
        bytes32 sessionId;
        uint64 step;
        bytes32 modelId;
        uint32 blockStart;
        uint32 blockEnd;
        bytes32 inputHash;
        bytes32 outputHash;
        uint32 tokens;
        uint64 timestamp;
    }

    struct Provider {
        uint256 stake;
        uint256 unbonding;
        uint64 unbondingReleaseTime;
        bool jailed;
        address signer;
        uint256 pricePerToken;
        bytes peerId;
    }

    bytes32 public constant RECEIPT_TYPEHASH = keccak256(
        "Receipt(bytes32 sessionId,uint64 step,bytes32 modelId,uint32 blockStart,uint32 blockEnd,bytes32 inputHash,bytes32 outputHash,uint32 tokens,uint64 timestamp)"
    );
    /// @notice May slash providers with signed evidence.
    bytes32 public constant VERIFIER_ROLE = keccak256("VERIFIER_ROLE");
    uint16 public constant MAX_BPS = 10_000;
    /// @notice Bound on the stored peer id (a libp2p Ed25519 peer id is 38 bytes; multihash of RSA keys is larger).
    uint256 public constant MAX_PEER_ID_LENGTH = 128;

    IPeerzRewardToken public immutable token;
    uint256 public minStake;
    uint64 public unbondingDelay;
    uint16 public slashBps;
    /// @notice Where slashed stake goes; zero means it is burned.
    address public rewardPool;

    mapping(address provider => Provider) private _providers;
    /// @dev Every signer a provider ever registered stays valid evidence, so rotating keys cannot erase fraud.
    mapping(address provider => mapping(address signer => bool)) public signerWasRegistered;
    /// @notice Receipts (by EIP-712 digest) already used as slashing evidence.
    mapping(bytes32 digest => bool) public evidenceUsed;

    event Staked(address indexed provider, uint256 amount, uint256 totalStake, address signer, bytes peerId, uint256 pricePerToken);
    event UnbondRequested(address indexed provider, uint256 amount, uint64 releaseTime);
    event Withdrawn(address indexed provider, uint256 amount);
    event PriceSet(address indexed provider, uint256 pricePerToken);
    event Slashed(
        address indexed provider,
        address indexed verifier,
        bytes32 indexed receiptDigest,
        uint256 amount,
        bytes32 evidenceHash,
        bool burned
    );
    event Jailed(address indexed provider);
    event Unjailed(address indexed provider);
    event MinStakeSet(uint256 minStake);
    event UnbondingDelaySet(uint64 unbondingDelay);
    event SlashBpsSet(uint16 slashBps);
    event RewardPoolSet(address rewardPool);

    error ZeroAmount();
    error ZeroAddress();
    error BelowMinStake(uint256 stake, uint256 minStake);
    error InvalidPeerId();
    error ProviderIsJailed(address provider);
    error NotRegistered(address provider);
    error NotJailed(address provider);
    error InsufficientStake(uint256 requested, uint256 available);
    error NothingToWithdraw();
    error UnbondingNotFinished(uint64 releaseTime);
    error InvalidBps(uint16 bps);
    error WrongSigner(address recovered);
    error EvidenceAlreadyUsed(bytes32 digest);

    /// @param token_ the PRZ token
    /// @param governance receives DEFAULT_ADMIN_ROLE (the timelock; an EOA only on a devnet)
    /// @param minStake_ minimum stake for an active provider
    /// @param unbondingDelay_ seconds between {requestUnbond} and {withdraw}
    /// @param slashBps_ fraction of the stake taken per slash, in basis points
    constructor(address token_, address governance, uint256 minStake_, uint64 unbondingDelay_, uint16 slashBps_)
        EIP712("Peerz Provider Registry", "1")
    {
        if (token_ == address(0) || governance == address(0)) revert ZeroAddress();
        if (slashBps_ > MAX_BPS) revert InvalidBps(slashBps_);
        token = IPeerzRewardToken(token_);
        _grantRole(DEFAULT_ADMIN_ROLE, governance);
        minStake = minStake_;
        unbondingDelay = unbondingDelay_;
        slashBps = slashBps_;
        emit MinStakeSet(minStake_);
        emit UnbondingDelaySet(unbondingDelay_);
        emit SlashBpsSet(slashBps_);
    }

    // ---------------------------------------------------------------- providers

    /// @notice Registers the caller as a provider or tops up its stake; also (re)sets signer, peer id and price.
    ///         Requires a prior `approve` of `amount`. The resulting stake must reach {minStake}.
    /// @param amount PRZ to add (may be zero to only update the registration)
    /// @param signer key that signs receipts
    /// @param peerId libp2p peer id bytes (1..MAX_PEER_ID_LENGTH)
    /// @param pricePerToken price per token per block, in PRZ wei
    function stake(uint256 amount, address signer, bytes calldata peerId, uint256 pricePerToken) external nonReentrant {
        if (signer == address(0)) revert ZeroAddress();
        if (peerId.length == 0 || peerId.length > MAX_PEER_ID_LENGTH) revert InvalidPeerId();
        Provider storage p = _providers[msg.sender];
        if (p.jailed) revert ProviderIsJailed(msg.sender);
        uint256 total = p.stake + amount;
        if (total < minStake || total == 0) revert BelowMinStake(total, minStake);
        p.stake = total;
        p.signer = signer;
        p.peerId = peerId;
        p.pricePerToken = pricePerToken;
        signerWasRegistered[msg.sender][signer] = true;
        emit Staked(msg.sender, amount, total, signer, peerId, pricePerToken);
        if (amount > 0) token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @notice Starts unbonding `amount` of the caller's stake; it stays slashable until withdrawn.
    ///         A new request adds to the pending amount and restarts the delay.
    /// @param amount PRZ to unbond
    function requestUnbond(uint256 amount) external {
        if (amount == 0) revert ZeroAmount();
        Provider storage p = _providers[msg.sender];
        if (amount > p.stake) revert InsufficientStake(amount, p.stake);
        p.stake -= amount;
        p.unbonding += amount;
        uint64 release = uint64(block.timestamp) + unbondingDelay;
        p.unbondingReleaseTime = release;
        emit UnbondRequested(msg.sender, amount, release);
    }

    /// @notice Withdraws all unbonded stake once the unbonding delay has passed.
    function withdraw() external nonReentrant {
        Provider storage p = _providers[msg.sender];
        uint256 amount = p.unbonding;
        if (amount == 0) revert NothingToWithdraw();
        if (block.timestamp < p.unbondingReleaseTime) revert UnbondingNotFinished(p.unbondingReleaseTime);
        p.unbonding = 0;
        emit Withdrawn(msg.sender, amount);
        token.safeTransfer(msg.sender, amount);
    }

    /// @notice Changes the caller's price per token.
    /// @param pricePerToken new price in PRZ wei
    function setPrice(uint256 pricePerToken) external {
        Provider storage p = _providers[msg.sender];
        if (p.signer == address(0)) revert NotRegistered(msg.sender);
        p.pricePerToken = pricePerToken;
        emit PriceSet(msg.sender, pricePerToken);
    }

    // ---------------------------------------------------------------- verification

    /// @notice Slashes `provider` with a receipt it signed, proven wrong off chain (`evidenceHash` commits to
    ///         the verifier's recomputation). Takes `slashBps` of bonded plus unbonding stake, sends it to the
    ///         reward pool (burns it when none is set) and jails the provider. Each receipt works once.
    /// @param provider the provider being slashed
    /// @param receipt the receipt the provider signed
    /// @param signature 65-byte ECDSA signature over {receiptDigest}
    /// @param evidenceHash hash of the off-chain evidence (recomputed output), for audit
    function slash(address provider, Receipt calldata receipt, bytes calldata signature, bytes32 evidenceHash)
        external
        onlyRole(VERIFIER_ROLE)
        nonReentrant
    {
        bytes32 digest = receiptDigest(receipt);
        if (evidenceUsed[digest]) revert EvidenceAlreadyUsed(digest);
        (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecover(digest, signature);
        if (err != ECDSA.RecoverError.NoError || !signerWasRegistered[provider][recovered]) {
            revert WrongSigner(recovered);
        }
        evidenceUsed[digest] = true;

        Provider storage p = _providers[provider];
        uint256 amount = ((p.stake + p.unbonding) * slashBps) / MAX_BPS;
        // Bonded stake first, then what is unbonding: leaving cannot dodge a slash.
        uint256 fromStake = amount <= p.stake ? amount : p.stake;
        p.stake -= fromStake;
        p.unbonding -= amount - fromStake;
        if (!p.jailed) {
            p.jailed = true;
            emit Jailed(provider);
        }
        address pool = rewardPool;
        emit Slashed(provider, msg.sender, digest, amount, evidenceHash, pool == address(0));
        if (amount == 0) return;
        if (pool == address(0)) {
            token.burn(amount);
        } else {
            token.forceApprove(pool, amount);
            IRewardPool(pool).fund(amount);
        }
    }

    // ---------------------------------------------------------------- governance

    /// @notice Sets the minimum stake of an active provider. Governance only.
    function setMinStake(uint256 minStake_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        minStake = minStake_;
        emit MinStakeSet(minStake_);
    }

    /// @notice Sets the unbonding delay in seconds (applies to later requests). Governance only.
    function setUnbondingDelay(uint64 unbondingDelay_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        unbondingDelay = unbondingDelay_;
        emit UnbondingDelaySet(unbondingDelay_);
    }

    /// @notice Sets the slashed fraction in basis points (≤ 10000). Governance only.
    function setSlashBps(uint16 slashBps_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (slashBps_ > MAX_BPS) revert InvalidBps(slashBps_);
        slashBps = slashBps_;
        emit SlashBpsSet(slashBps_);
    }

    /// @notice Sets where slashed stake goes (EpochRewards); zero burns it. Governance only.
    function setRewardPool(address rewardPool_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        rewardPool = rewardPool_;
        emit RewardPoolSet(rewardPool_);
    }

    /// @notice Lifts a provider's jail (e.g. after an appeal). Governance only.
    function unjail(address provider) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (!_providers[provider].jailed) revert NotJailed(provider);
        _providers[provider].jailed = false;
        emit Unjailed(provider);
    }

    // ---------------------------------------------------------------- views

    /// @notice Everything stored about a provider.
    function getProvider(address provider)
        external
        view
        returns (
            uint256 stakeAmount,
            address signer,
            bytes memory peerId,
            uint256 pricePerToken,
            bool jailed,
            uint256 unbonding,
            uint64 unbondingReleaseTime
        )
    {
        Provider storage p = _providers[provider];
        return (p.stake, p.signer, p.peerId, p.pricePerToken, p.jailed, p.unbonding, p.unbondingReleaseTime);
    }

    /// @notice True when the provider's bonded stake reaches {minStake} and it is not jailed.
    function isActive(address provider) external view returns (bool) {
        Provider storage p = _providers[provider];
        return !p.jailed && p.stake > 0 && p.stake >= minStake;
    }

    /// @notice The EIP-712 digest a provider signs for `receipt` (domain "Peerz Provider Registry", version "1").
    function receiptDigest(Receipt calldata receipt) public view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(RECEIPT_TYPEHASH, receipt)));
    }
}
