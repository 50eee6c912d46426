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
/// @notice Providers stake PRZ, register the key that signs their receipts (with a proof of possession), their
///         libp2p peer id and their price per token. A slash is a proposal by a VERIFIER_ROLE holder, carrying a
///         receipt signed for the provider and a fault the chain can check (a different recomputed output hash,
///         or unavailability). The slashed share is held and the provider jailed for a challenge period, during
///         which the provider may dispute (an ARBITER_ROLE holder decides) and the verifier may withdraw. Only
///         then does the held stake move to the reward pool (or get burned). One slash per jailing.
///         Parameters and role holders change only through DEFAULT_ADMIN_ROLE, held by the governance timelock.
contract ProviderRegistry is AccessControl, ReentrancyGuard, EIP712 {
    using SafeERC20 for IPeerzRewardToken;

    /// @notice What a provider's signer signs for every response (Receipt v2: names the provider and the client).
    struct Receipt {
        address provider;
        address client;
        bytes32 sessionId;
        uint64 step;
        bytes32 modelId;
        uint32 blockStart;
        uint32 blockEnd;
        bytes32 inputHash;
        bytes32 outputHash;
        uint32 tokens;
        uint64 timestamp;
        uint8 servingMode;
        uint256 amount;
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

    /// @dev A proposed slash: the amounts are held here (out of stake and unbonding) until it is settled.
    struct Slash {
        address verifier;
        uint64 deadline;
        uint8 fault;
        bool disputed;
        bool active;
        bytes32 receiptDigest;
        bytes32 evidenceHash;
        uint256 fromStake;
        uint256 fromUnbonding;
    }

    bytes32 public constant RECEIPT_TYPEHASH = keccak256(
        "Receipt(address provider,address client,bytes32 sessionId,uint64 step,bytes32 modelId,uint32 blockStart,uint32 blockEnd,bytes32 inputHash,bytes32 outputHash,uint32 tokens,uint64 timestamp,uint8 servingMode,uint256 amount)"
    );
    bytes32 public constant SIGNER_BINDING_TYPEHASH = keccak256("SignerBinding(address provider)");
    /// @notice May propose and withdraw slashes.
    bytes32 public constant VERIFIER_ROLE = keccak256("VERIFIER_ROLE");
    /// @notice Resolves disputed slashes.
    bytes32 public constant ARBITER_ROLE = keccak256("ARBITER_ROLE");

    /// @notice Fault codes of {proposeSlash}.
    uint8 public constant FAULT_WRONG_OUTPUT = 0;
    uint8 public constant FAULT_UNAVAILABLE = 1;

    uint16 public constant MAX_BPS = 10_000;
    /// @notice Bound on the stored peer id (a libp2p Ed25519 peer id is 38 bytes; multihash of RSA keys is larger).
    uint256 public constant MAX_PEER_ID_LENGTH = 128;
    /// @notice Bounds of the governed parameters.
    uint256 public constant MAX_MIN_STAKE = 1e27;
    uint64 public constant MIN_UNBONDING_DELAY = 1 hours;
    uint64 public constant MAX_UNBONDING_DELAY = 365 days;
    uint64 public constant MIN_CHALLENGE_PERIOD = 1 hours;
    uint64 public constant MAX_CHALLENGE_PERIOD = 30 days;

    IPeerzRewardToken public immutable token;
    uint256 public minStake;
    uint64 public unbondingDelay;
    uint16 public slashBps;
    /// @notice Seconds between a slash proposal and its finalization (the provider's window to dispute).
    uint64 public challengePeriod;
    /// @notice Where slashed stake goes; zero means it is burned.
    address public rewardPool;

    mapping(address provider => Provider) private _providers;
    mapping(address provider => Slash) private _slashes;
    /// @notice The provider a signer key is bound to, forever (zero if none): old keys stay valid evidence and
    ///         no one else can register them.
    mapping(address signer => address provider) public signerOwner;
    /// @notice Receipts (by EIP-712 digest, which names the provider) already used as slashing evidence.
    mapping(bytes32 digest => bool) public evidenceUsed;

    /// @notice A provider registered or topped up its stake, or changed signer, peer id or price.
    event Staked(address indexed provider, uint256 amount, uint256 totalStake, address signer, bytes peerId, uint256 pricePerToken);
    /// @notice A provider started unbonding `amount`, withdrawable at `releaseTime`.
    event UnbondRequested(address indexed provider, uint256 amount, uint64 releaseTime);
    /// @notice A provider withdrew unbonded stake.
    event Withdrawn(address indexed provider, uint256 amount);
    /// @notice A provider changed its price.
    event PriceSet(address indexed provider, uint256 pricePerToken);
    /// @notice A verifier proposed a slash; `amount` is held until `deadline` (or the dispute's resolution).
    event SlashProposed(
        address indexed provider,
        address indexed verifier,
        bytes32 indexed receiptDigest,
        uint8 fault,
        uint256 amount,
        uint64 deadline,
        bytes32 recomputedOutputHash,
        bytes32 evidenceHash
    );
    /// @notice The provider disputed its pending slash; an arbiter decides.
    event SlashDisputed(address indexed provider);
    /// @notice The proposing verifier withdrew the slash; the held stake went back and the provider is unjailed.
    event SlashWithdrawn(address indexed provider, address indexed verifier);
    /// @notice An arbiter resolved a dispute (`upheld` = slash finalized; otherwise stake returned).
    event DisputeResolved(address indexed provider, address indexed arbiter, bool upheld);
    /// @notice A slash was finalized: `amount` moved to the reward pool (or was burned).
    event Slashed(
        address indexed provider,
        address indexed verifier,
        bytes32 indexed receiptDigest,
        uint256 amount,
        bytes32 evidenceHash,
        bool burned
    );
    /// @notice The provider was jailed (by a slash proposal).
    event Jailed(address indexed provider);
    /// @notice The provider was unjailed (governance, a withdrawn slash or a dispute won).
    event Unjailed(address indexed provider);
    /// @notice Governance set the minimum stake.
    event MinStakeSet(uint256 minStake);
    /// @notice Governance set the unbonding delay.
    event UnbondingDelaySet(uint64 unbondingDelay);
    /// @notice Governance set the slashed fraction.
    event SlashBpsSet(uint16 slashBps);
    /// @notice Governance set the challenge period.
    event ChallengePeriodSet(uint64 challengePeriod);
    /// @notice Governance set the reward pool.
    event RewardPoolSet(address rewardPool);

    error ZeroAmount();
    error ZeroAddress();
    error BelowMinStake(uint256 stake, uint256 minStake);
    error InvalidPeerId();
    error InvalidSignerProof(address recovered);
    error SignerTaken(address signer, address owner);
    error ProviderIsJailed(address provider);
    error NotRegistered(address provider);
    error NotJailed(address provider);
    error InsufficientStake(uint256 requested, uint256 available);
    error NothingToWithdraw();
    error UnbondingNotFinished(uint64 releaseTime);
    error InvalidBps(uint16 bps);
    error OutOfBounds();
    error NotAContract(address account);
    error WrongSigner(address recovered);
    error EvidenceAlreadyUsed(bytes32 digest);
    error InvalidEvidence();
    error NoPendingSlash(address provider);
    error SlashPending(address provider);
    error NotSlashProposer(address caller, address verifier);
    error ChallengePeriodOver(uint64 deadline);
    error ChallengePeriodNotOver(uint64 deadline);
    error SlashDisputedAlready(address provider);
    error SlashNotDisputed(address provider);

    /// @param token_ the PRZ token
    /// @param governance receives DEFAULT_ADMIN_ROLE and ARBITER_ROLE (the timelock; an EOA only on a devnet)
    /// @param minStake_ minimum stake for an active provider, in (0, 1e27]
    /// @param unbondingDelay_ seconds between {requestUnbond} and {withdraw}, in [1 hour, 365 days]
    /// @param slashBps_ fraction of the stake taken per slash, in basis points, in [1, 10000]
    /// @param challengePeriod_ seconds a proposed slash waits before it can be finalized, in [1 hour, 30 days]
    constructor(
        address token_,
        address governance,
        uint256 minStake_,
        uint64 unbondingDelay_,
        uint16 slashBps_,
        uint64 challengePeriod_
    ) EIP712("Peerz Provider Registry", "2") {
        if (token_ == address(0) || governance == address(0)) revert ZeroAddress();
        token = IPeerzRewardToken(token_);
        _grantRole(DEFAULT_ADMIN_ROLE, governance);
        _grantRole(ARBITER_ROLE, governance);
        _setMinStake(minStake_);
        _setUnbondingDelay(unbondingDelay_);
        _setSlashBps(slashBps_);
        _setChallengePeriod(challengePeriod_);
    }

    // ---------------------------------------------------------------- providers

    /// @notice Registers the caller as a provider or tops up its stake; also (re)sets signer, peer id and price.
    ///         Requires a prior `approve` of `amount`. The resulting stake must reach {minStake}. Refused while
    ///         the caller is jailed (which includes a pending slash).
    /// @param amount PRZ to add (may be zero to only update the registration)
    /// @param signer key that signs receipts; bound to the caller forever
    /// @param peerId libp2p peer id bytes (1..MAX_PEER_ID_LENGTH)
    /// @param pricePerToken price per token per block, in PRZ wei
    /// @param signerProof the signer's 65-byte signature over {signerBindingDigest}(msg.sender)
    function stake(uint256 amount, address signer, bytes calldata peerId, uint256 pricePerToken, bytes calldata signerProof)
        external
        nonReentrant
    {
        if (signer == address(0)) revert ZeroAddress();
        if (peerId.length == 0 || peerId.length > MAX_PEER_ID_LENGTH) revert InvalidPeerId();
        Provider storage p = _providers[msg.sender];
        if (p.jailed) revert ProviderIsJailed(msg.sender);
        address owner = signerOwner[signer];
        if (owner != address(0) && owner != msg.sender) revert SignerTaken(signer, owner);
        (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecover(signerBindingDigest(msg.sender), signerProof);
        if (err != ECDSA.RecoverError.NoError || recovered != signer) revert InvalidSignerProof(recovered);
        uint256 total = p.stake + amount;
        if (total < minStake) revert BelowMinStake(total, minStake);

        if (owner == address(0)) signerOwner[signer] = msg.sender;
        p.stake = total;
        p.signer = signer;
        p.peerId = peerId;
        p.pricePerToken = pricePerToken;
        emit Staked(msg.sender, amount, total, signer, peerId, pricePerToken);
        if (amount > 0) token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @notice Starts unbonding `amount` of the caller's stake; it stays slashable until withdrawn.
    ///         A new request adds to the pending amount and restarts the delay. Refused while jailed.
    /// @param amount PRZ to unbond
    function requestUnbond(uint256 amount) external {
        if (amount == 0) revert ZeroAmount();
        Provider storage p = _providers[msg.sender];
        if (p.jailed) revert ProviderIsJailed(msg.sender);
        if (amount > p.stake) revert InsufficientStake(amount, p.stake);
        p.stake -= amount;
        p.unbonding += amount;
        uint64 release = uint64(block.timestamp) + unbondingDelay;
        p.unbondingReleaseTime = release;
        emit UnbondRequested(msg.sender, amount, release);
    }

    /// @notice Withdraws all unbonded stake once the unbonding delay has passed. Refused while jailed.
    function withdraw() external nonReentrant {
        Provider storage p = _providers[msg.sender];
        if (p.jailed) revert ProviderIsJailed(msg.sender);
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

    // ---------------------------------------------------------------- slashing

    /// @notice Proposes to slash `receipt.provider`. Holds `slashBps` of its bonded plus unbonding stake (bonded
    ///         first) and jails it until the slash is finalized, withdrawn or the dispute resolved.
    ///         Fault 0 (WrongOutput): `recomputedOutputHash` is the verifier's recomputation and must differ from
    ///         `receipt.outputHash` (and not be zero). Fault 1 (Unavailable): `recomputedOutputHash` must be zero.
    ///         The signature must come from a signer bound to `receipt.provider`; each receipt works once; a
    ///         jailed provider cannot be slashed again (one slash per jailing). VERIFIER_ROLE only.
    /// @param receipt the receipt signed for the provider
    /// @param signature 65-byte ECDSA signature over {receiptDigest}
    /// @param fault 0 = WrongOutput, 1 = Unavailable
    /// @param recomputedOutputHash the output hash the verifier computed (WrongOutput) or zero (Unavailable)
    /// @param evidenceHash hash of the off-chain evidence, for audit
    function proposeSlash(
        Receipt calldata receipt,
        bytes calldata signature,
        uint8 fault,
        bytes32 recomputedOutputHash,
        bytes32 evidenceHash
    ) external onlyRole(VERIFIER_ROLE) {
        if (fault == FAULT_WRONG_OUTPUT) {
            if (recomputedOutputHash == bytes32(0) || recomputedOutputHash == receipt.outputHash) revert InvalidEvidence();
        } else if (fault != FAULT_UNAVAILABLE || recomputedOutputHash != bytes32(0)) {
            revert InvalidEvidence();
        }
        address provider = receipt.provider;
        bytes32 digest = receiptDigest(receipt);
        _checkSigner(digest, signature, provider);
        if (evidenceUsed[digest]) revert EvidenceAlreadyUsed(digest);
        if (_providers[provider].jailed) revert ProviderIsJailed(provider);

        evidenceUsed[digest] = true;
        _hold(provider, digest, fault, recomputedOutputHash, evidenceHash);
    }

    /// @notice Disputes the caller's pending slash before its deadline; an ARBITER_ROLE holder then decides.
    function dispute() external {
        Slash storage s = _activeSlash(msg.sender);
        if (s.disputed) revert SlashDisputedAlready(msg.sender);
        if (block.timestamp >= s.deadline) revert ChallengePeriodOver(s.deadline);
        s.disputed = true;
        emit SlashDisputed(msg.sender);
    }

    /// @notice Withdraws a pending slash (disputed or not): the held stake goes back and the provider is
    ///         unjailed. Only the verifier that proposed it, while it holds VERIFIER_ROLE.
    /// @param provider the slashed provider
    function withdrawSlash(address provider) external onlyRole(VERIFIER_ROLE) {
        Slash storage s = _activeSlash(provider);
        if (s.verifier != msg.sender) revert NotSlashProposer(msg.sender, s.verifier);
        _returnSlash(provider);
        emit SlashWithdrawn(provider, msg.sender);
    }

    /// @notice Decides a disputed slash: `upheld` finalizes it, otherwise the held stake goes back and the
    ///         provider is unjailed. ARBITER_ROLE only.
    /// @param provider the slashed provider
    /// @param upheld whether the slash stands
    function resolveDispute(address provider, bool upheld) external onlyRole(ARBITER_ROLE) nonReentrant {
        Slash storage s = _activeSlash(provider);
        if (!s.disputed) revert SlashNotDisputed(provider);
        emit DisputeResolved(provider, msg.sender, upheld);
        if (upheld) {
            _finalize(provider);
        } else {
            _returnSlash(provider);
        }
    }

    /// @notice Finalizes an undisputed slash after its deadline: the held stake moves to the reward pool (or is
    ///         burned when none is set). The provider stays jailed until governance unjails it. Anyone may call.
    /// @param provider the slashed provider
    function finalizeSlash(address provider) external nonReentrant {
        Slash storage s = _activeSlash(provider);
        if (s.disputed) revert SlashDisputedAlready(provider);
        if (block.timestamp < s.deadline) revert ChallengePeriodNotOver(s.deadline);
        _finalize(provider);
    }

    // ---------------------------------------------------------------- governance

    /// @notice Sets the minimum stake of an active provider, in (0, 1e27]. Governance only.
    /// @param minStake_ the new minimum
    function setMinStake(uint256 minStake_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setMinStake(minStake_);
    }

    /// @notice Sets the unbonding delay in seconds, in [1 hour, 365 days] (applies to later requests).
    ///         Governance only.
    /// @param unbondingDelay_ the new delay
    function setUnbondingDelay(uint64 unbondingDelay_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setUnbondingDelay(unbondingDelay_);
    }

    /// @notice Sets the slashed fraction in basis points, in [1, 10000]. Governance only.
    /// @param slashBps_ the new fraction
    function setSlashBps(uint16 slashBps_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setSlashBps(slashBps_);
    }

    /// @notice Sets the challenge period of later slash proposals, in [1 hour, 30 days]. Governance only.
    /// @param challengePeriod_ the new period in seconds
    function setChallengePeriod(uint64 challengePeriod_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setChallengePeriod(challengePeriod_);
    }

    /// @notice Sets where slashed stake goes (EpochRewards, a contract); zero burns it. Governance only.
    /// @param rewardPool_ the reward pool contract or zero
    function setRewardPool(address rewardPool_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (rewardPool_ != address(0) && rewardPool_.code.length == 0) revert NotAContract(rewardPool_);
        rewardPool = rewardPool_;
        emit RewardPoolSet(rewardPool_);
    }

    /// @notice Lifts a provider's jail (e.g. after an appeal). Refused while a slash is pending. Governance only.
    /// @param provider the jailed provider
    function unjail(address provider) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (_slashes[provider].active) revert SlashPending(provider);
        if (!_providers[provider].jailed) revert NotJailed(provider);
        _providers[provider].jailed = false;
        emit Unjailed(provider);
    }

    // ---------------------------------------------------------------- views

    /// @notice Everything stored about a provider. Stake held by a pending slash is in neither amount.
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

    /// @notice The provider's pending slash (`active` false when there is none).
    function pendingSlash(address provider)
        external
        view
        returns (
            address verifier,
            bytes32 receiptDigest_,
            uint256 amount,
            uint64 deadline,
            uint8 fault,
            bool disputed,
            bool active
        )
    {
        Slash storage s = _slashes[provider];
        return (s.verifier, s.receiptDigest, s.fromStake + s.fromUnbonding, s.deadline, s.fault, s.disputed, s.active);
    }

    /// @notice True when the provider's bonded stake reaches {minStake} and it is not jailed.
    function isActive(address provider) external view returns (bool) {
        Provider storage p = _providers[provider];
        return !p.jailed && p.stake > 0 && p.stake >= minStake;
    }

    /// @notice The EIP-712 digest a provider's signer signs for `receipt` (domain "Peerz Provider Registry", "2").
    function receiptDigest(Receipt calldata receipt) public view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(RECEIPT_TYPEHASH, receipt)));
    }

    /// @notice The EIP-712 digest a signer signs to be bound to `provider` (SignerBinding(address provider)).
    function signerBindingDigest(address provider) public view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(SIGNER_BINDING_TYPEHASH, provider)));
    }

    // ---------------------------------------------------------------- internals

    /// @dev Reverts unless `signature` over `digest` comes from a signer bound to `provider`.
    function _checkSigner(bytes32 digest, bytes calldata signature, address provider) private view {
        (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecover(digest, signature);
        address owner = signerOwner[recovered];
        if (err != ECDSA.RecoverError.NoError || owner == address(0) || owner != provider) revert WrongSigner(recovered);
    }

    /// @dev Moves slashBps of bonded plus unbonding stake (bonded first: leaving cannot dodge a slash) into a
    ///      pending slash proposed by the caller, and jails the provider.
    function _hold(address provider, bytes32 digest, uint8 fault, bytes32 recomputedOutputHash, bytes32 evidenceHash)
        private
    {
        Provider storage p = _providers[provider];
        uint256 amount = ((p.stake + p.unbonding) * slashBps) / MAX_BPS;
        uint256 fromStake = amount <= p.stake ? amount : p.stake;
        uint256 fromUnbonding = amount - fromStake;
        p.stake -= fromStake;
        p.unbonding -= fromUnbonding;
        p.jailed = true;
        uint64 deadline = uint64(block.timestamp) + challengePeriod;
        _slashes[provider] = Slash(msg.sender, deadline, fault, false, true, digest, evidenceHash, fromStake, fromUnbonding);
        emit Jailed(provider);
        emit SlashProposed(provider, msg.sender, digest, fault, amount, deadline, recomputedOutputHash, evidenceHash);
    }

    function _activeSlash(address provider) private view returns (Slash storage s) {
        s = _slashes[provider];
        if (!s.active) revert NoPendingSlash(provider);
    }

    /// @dev Gives the held amounts back where they came from and unjails.
    function _returnSlash(address provider) private {
        Slash memory s = _slashes[provider];
        delete _slashes[provider];
        Provider storage p = _providers[provider];
        p.stake += s.fromStake;
        p.unbonding += s.fromUnbonding;
        p.jailed = false;
        emit Unjailed(provider);
    }

    /// @dev Moves the held amount to the reward pool (or burns it); the provider stays jailed.
    function _finalize(address provider) private {
        Slash memory s = _slashes[provider];
        delete _slashes[provider];
        uint256 amount = s.fromStake + s.fromUnbonding;
        address pool = rewardPool;
        emit Slashed(provider, s.verifier, s.receiptDigest, amount, s.evidenceHash, pool == address(0));
        if (amount == 0) return;
        if (pool == address(0)) {
            token.burn(amount);
        } else {
            token.forceApprove(pool, amount);
            IRewardPool(pool).fund(amount);
        }
    }

    function _setMinStake(uint256 minStake_) private {
        if (minStake_ == 0 || minStake_ > MAX_MIN_STAKE) revert OutOfBounds();
        minStake = minStake_;
        emit MinStakeSet(minStake_);
    }

    function _setUnbondingDelay(uint64 unbondingDelay_) private {
        if (unbondingDelay_ < MIN_UNBONDING_DELAY || unbondingDelay_ > MAX_UNBONDING_DELAY) revert OutOfBounds();
        unbondingDelay = unbondingDelay_;
        emit UnbondingDelaySet(unbondingDelay_);
    }

    function _setSlashBps(uint16 slashBps_) private {
        if (slashBps_ == 0 || slashBps_ > MAX_BPS) revert InvalidBps(slashBps_);
        slashBps = slashBps_;
        emit SlashBpsSet(slashBps_);
    }

    function _setChallengePeriod(uint64 challengePeriod_) private {
        if (challengePeriod_ < MIN_CHALLENGE_PERIOD || challengePeriod_ > MAX_CHALLENGE_PERIOD) revert OutOfBounds();
        challengePeriod = challengePeriod_;
        emit ChallengePeriodSet(challengePeriod_);
    }
}
