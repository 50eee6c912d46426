using System.Numerics;
using Peerz.Chain.Abi;
using Peerz.Chain.Crypto;
using Peerz.Chain.Primitives;
using Peerz.Chain.Rpc;
using static Peerz.Chain.Contracts.AbiDefinitions;

namespace Peerz.Chain.Contracts;

/// <summary>A provider's registration as stored by ProviderRegistry.getProvider.</summary>
public sealed record ProviderInfo(BigInteger Stake, Address Signer, byte[] PeerId, BigInteger PricePerToken, bool Jailed, BigInteger UnbondingAmount, ulong UnbondingRelease);

/// <summary>Why a verifier proposes a slash (ProviderRegistry's uint8 fault).</summary>
public enum SlashFault : byte
{
    /// <summary>The recomputed output differs from what the receipt signed.</summary>
    WrongOutput = 0,

    /// <summary>The provider did not produce the payload behind its receipt, after repeated requests.</summary>
    Unavailable = 1,
}

/// <summary>A proposed slash held during its challenge period (ProviderRegistry.pendingSlash); <see cref="Active"/> is false when there is none.</summary>
public sealed record PendingSlash(Address Verifier, byte[] ReceiptDigest, BigInteger Amount, ulong Deadline, SlashFault Fault, bool Disputed, bool Active);

/// <summary>Binding for ProviderRegistry (staking, signer registration, slashing with signed receipts).</summary>
public sealed class ProviderRegistry(EthRpcClient rpc, Address address, TransactionSender? sender = null) : ContractBinding(rpc, address, sender)
{
    private const string ReceiptTuple = "(address,address,bytes32,uint64,bytes32,uint32,uint32,bytes32,bytes32,uint32,uint64,uint8,uint256)";

    public static readonly AbiFunction StakeFunction = AbiFunction.Parse("stake(uint256,address,bytes,uint256,bytes)");
    public static readonly AbiFunction RequestUnbondFunction = AbiFunction.Parse("requestUnbond(uint256)");
    public static readonly AbiFunction WithdrawFunction = AbiFunction.Parse("withdraw()");
    public static readonly AbiFunction ProposeSlashFunction = AbiFunction.Parse($"proposeSlash({ReceiptTuple},bytes,uint8,bytes32,bytes32)");
    public static readonly AbiFunction DisputeFunction = AbiFunction.Parse("dispute()");
    public static readonly AbiFunction WithdrawSlashFunction = AbiFunction.Parse("withdrawSlash(address)");
    public static readonly AbiFunction ResolveDisputeFunction = AbiFunction.Parse("resolveDispute(address,bool)");
    public static readonly AbiFunction FinalizeSlashFunction = AbiFunction.Parse("finalizeSlash(address)");
    public static readonly AbiFunction PendingSlashFunction = AbiFunction.Parse("pendingSlash(address)", "address", "bytes32", "uint256", "uint64", "uint8", "bool", "bool");
    public static readonly AbiFunction SignerOwnerFunction = AbiFunction.Parse("signerOwner(address)", "address");
    public static readonly AbiFunction ChallengePeriodFunction = AbiFunction.Parse("challengePeriod()", "uint64");
    public static readonly AbiFunction GetProviderFunction = AbiFunction.Parse("getProvider(address)", "uint256", "address", "bytes", "uint256", "bool", "uint256", "uint64");
    public static readonly AbiFunction IsActiveFunction = AbiFunction.Parse("isActive(address)", "bool");
    public static readonly AbiFunction ReceiptDigestFunction = AbiFunction.Parse($"receiptDigest({ReceiptTuple})", "bytes32");
    public static readonly AbiFunction MinStakeFunction = AbiFunction.Parse("minStake()", "uint256");
    public static readonly AbiFunction HasRoleFunction = AbiFunction.Parse("hasRole(bytes32,address)", "bool");

    /// <summary>keccak256("VERIFIER_ROLE"): may propose and withdraw slashes, and may report verification work to settlement.</summary>
    public static byte[] VerifierRole => Keccak.Hash("VERIFIER_ROLE");

    /// <summary>keccak256("ARBITER_ROLE"): resolves disputed slashes (governance).</summary>
    public static byte[] ArbiterRole => Keccak.Hash("ARBITER_ROLE");

    public static readonly AbiEvent StakedEvent = Event("Staked", Indexed("provider", "address"), Field("amount", "uint256"), Field("totalStake", "uint256"), Field("signer", "address"), Field("peerId", "bytes"), Field("pricePerToken", "uint256"));
    public static readonly AbiEvent UnbondRequestedEvent = Event("UnbondRequested", Indexed("provider", "address"), Field("amount", "uint256"), Field("releaseTime", "uint64"));
    public static readonly AbiEvent SlashProposedEvent = Event("SlashProposed", Indexed("provider", "address"), Indexed("verifier", "address"), Indexed("receiptDigest", "bytes32"), Field("fault", "uint8"), Field("amount", "uint256"), Field("deadline", "uint64"), Field("recomputedOutputHash", "bytes32"), Field("evidenceHash", "bytes32"));
    public static readonly AbiEvent SlashWithdrawnEvent = Event("SlashWithdrawn", Indexed("provider", "address"), Indexed("verifier", "address"));
    public static readonly AbiEvent SlashedEvent = Event("Slashed", Indexed("provider", "address"), Indexed("verifier", "address"), Indexed("receiptDigest", "bytes32"), Field("amount", "uint256"), Field("evidenceHash", "bytes32"), Field("burned", "bool"));
    public static readonly AbiEvent JailedEvent = Event("Jailed", Indexed("provider", "address"));
    public static readonly AbiEvent UnjailedEvent = Event("Unjailed", Indexed("provider", "address"));

    public static IReadOnlyList<AbiFunction> Functions { get; } =
        [
            StakeFunction, RequestUnbondFunction, WithdrawFunction, ProposeSlashFunction, DisputeFunction, WithdrawSlashFunction, ResolveDisputeFunction, FinalizeSlashFunction,
            PendingSlashFunction, SignerOwnerFunction, ChallengePeriodFunction, GetProviderFunction, IsActiveFunction, ReceiptDigestFunction, MinStakeFunction, HasRoleFunction,
        ];

    public static IReadOnlyList<AbiEvent> EventDefinitions { get; } = [StakedEvent, UnbondRequestedEvent, SlashProposedEvent, SlashWithdrawnEvent, SlashedEvent, JailedEvent, UnjailedEvent];

    public static IReadOnlyList<AbiError> ErrorDefinitions { get; } =
    [
        AbiError.Parse("BelowMinStake(uint256,uint256)"),
        AbiError.Parse("InsufficientStake(uint256,uint256)"),
        AbiError.Parse("EvidenceAlreadyUsed(bytes32)"),
        AbiError.Parse("InvalidEvidence()"),
        AbiError.Parse("SignerTaken(address,address)"),
        AbiError.Parse("SlashPending(address)"),
        AbiError.Parse("NoPendingSlash(address)"),
        AbiError.Parse("ChallengePeriodOver(uint64)"),
        AbiError.Parse("ChallengePeriodNotOver(uint64)"),
        AbiError.Parse("SlashNotDisputed(address)"),
        AbiError.Parse("SlashDisputedAlready(address)"),
        AbiError.Parse("NotSlashProposer(address,address)"),
        AbiError.Parse("InvalidSignerProof(address)"),
        AbiError.Parse("InvalidBps(uint16)"),
        AbiError.Parse("NotAContract(address)"),
        AbiError.Parse("NotJailed(address)"),
        AbiError.Parse("OutOfBounds()"),
        AbiError.Parse("AccessControlUnauthorizedAccount(address,bytes32)"),
        AbiError.Parse("NotRegistered(address)"),
        AbiError.Parse("ProviderIsJailed(address)"),
        AbiError.Parse("UnbondingNotFinished(uint64)"),
        AbiError.Parse("WrongSigner(address)"),
        AbiError.Parse("InvalidPeerId()"),
        AbiError.Parse("NothingToWithdraw()"),
        AbiError.Parse("ZeroAmount()"),
    ];

    public override IReadOnlyList<AbiError> Errors => ErrorDefinitions;

    /// <summary>Registers or tops up; <paramref name="signerProof"/> is the signer's <see cref="SignerBinding"/> signature for the sending account.</summary>
    public Task<TransactionReceipt> StakeAsync(BigInteger amount, Address signer, byte[] peerId, BigInteger pricePerToken, EthSignature signerProof, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(signerProof);
        return SendAsync(StakeFunction, [amount, signer, peerId, pricePerToken, signerProof.ToBytes()], cancellationToken);
    }

    public Task<TransactionReceipt> RequestUnbondAsync(BigInteger amount, CancellationToken cancellationToken = default) => SendAsync(RequestUnbondFunction, [amount], cancellationToken);

    public Task<TransactionReceipt> WithdrawAsync(CancellationToken cancellationToken = default) => SendAsync(WithdrawFunction, [], cancellationToken);

    /// <summary>Opens a slash of <c>receipt.Provider</c>: its stake share is held and it is jailed until the challenge period ends or a dispute is resolved.</summary>
    public Task<TransactionReceipt> ProposeSlashAsync(WorkReceipt receipt, EthSignature signature, SlashFault fault, byte[] recomputedOutputHash, byte[] evidenceHash,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(receipt);
        ArgumentNullException.ThrowIfNull(signature);
        return SendAsync(ProposeSlashFunction, [receipt.ToTuple(), signature.ToBytes(), (BigInteger)(byte)fault, recomputedOutputHash, evidenceHash], cancellationToken);
    }

    public Task<TransactionReceipt> DisputeAsync(CancellationToken cancellationToken = default) => SendAsync(DisputeFunction, [], cancellationToken);

    public Task<TransactionReceipt> WithdrawSlashAsync(Address provider, CancellationToken cancellationToken = default) => SendAsync(WithdrawSlashFunction, [provider], cancellationToken);

    public Task<TransactionReceipt> ResolveDisputeAsync(Address provider, bool upheld, CancellationToken cancellationToken = default) => SendAsync(ResolveDisputeFunction, [provider, upheld], cancellationToken);

    public Task<TransactionReceipt> FinalizeSlashAsync(Address provider, CancellationToken cancellationToken = default) => SendAsync(FinalizeSlashFunction, [provider], cancellationToken);

    public async Task<PendingSlash> PendingSlashAsync(Address provider, CancellationToken cancellationToken = default)
    {
        var v = await CallAsync(PendingSlashFunction, [provider], cancellationToken).ConfigureAwait(false);
        return new PendingSlash((Address)v[0]!, (byte[])v[1]!, Big(v[2]), (ulong)Big(v[3]), (SlashFault)(byte)Big(v[4]), (bool)v[5]!, (bool)v[6]!);
    }

    /// <summary>The provider a signer is bound to (zero when none).</summary>
    public Task<Address> SignerOwnerAsync(Address signer, CancellationToken cancellationToken = default) => CallSingleAsync<Address>(SignerOwnerFunction, [signer], cancellationToken);

    public async Task<ulong> ChallengePeriodAsync(CancellationToken cancellationToken = default) => (ulong)await CallSingleAsync<BigInteger>(ChallengePeriodFunction, [], cancellationToken).ConfigureAwait(false);

    public async Task<ProviderInfo> GetProviderAsync(Address provider, CancellationToken cancellationToken = default)
    {
        var v = await CallAsync(GetProviderFunction, [provider], cancellationToken).ConfigureAwait(false);
        return new ProviderInfo(Big(v[0]), (Address)v[1]!, (byte[])v[2]!, Big(v[3]), (bool)v[4]!, Big(v[5]), (ulong)Big(v[6]));
    }

    public Task<bool> IsActiveAsync(Address provider, CancellationToken cancellationToken = default) => CallSingleAsync<bool>(IsActiveFunction, [provider], cancellationToken);

    public Task<bool> HasRoleAsync(byte[] role, Address account, CancellationToken cancellationToken = default) => CallSingleAsync<bool>(HasRoleFunction, [role, account], cancellationToken);

    public Task<BigInteger> MinStakeAsync(CancellationToken cancellationToken = default) => CallSingleAsync<BigInteger>(MinStakeFunction, [], cancellationToken);

    public Task<byte[]> ReceiptDigestAsync(WorkReceipt receipt, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(receipt);
        return CallSingleAsync<byte[]>(ReceiptDigestFunction, [receipt.ToTuple()], cancellationToken);
    }

    /// <summary>
    /// The Jailed and Unjailed events of blocks <paramref name="fromBlock"/> to <paramref name="toBlock"/> (inclusive), in
    /// chain order; a log that does not decode as either is a <see cref="FormatException"/>.
    /// </summary>
    public async Task<IReadOnlyList<JailChange>> JailChangesAsync(BigInteger fromBlock, BigInteger toBlock, CancellationToken cancellationToken = default)
    {
        var logs = await Rpc.GetLogsAsync(Address, [JailedEvent.Topic, UnjailedEvent.Topic], fromBlock, toBlock, cancellationToken).ConfigureAwait(false);
        return logs.Select(log =>
        {
            bool Is(AbiEvent e) => log.Topics.Count > 0 && log.Topics[0].AsSpan().SequenceEqual(e.Topic);
            var change = Is(JailedEvent) ? JailedEvent : Is(UnjailedEvent) ? UnjailedEvent
                : throw new FormatException($"the node answered a query for Jailed and Unjailed events with a log of another event ({(log.Topics.Count > 0 ? Hex.Encode(log.Topics[0]) : "no topics")})");
            var provider = change.DecodeLog(log.Topics, log.Data)["provider"] as Address? ?? throw new FormatException($"a {change.Name} log names no provider");
            return new JailChange(provider, change == JailedEvent, log.BlockNumber ?? toBlock);
        }).ToList();
    }

    /// <summary>The chain's latest block number (where a reader of events starts).</summary>
    public Task<BigInteger> LatestBlockAsync(CancellationToken cancellationToken = default) => Rpc.BlockNumberAsync(cancellationToken);
}

/// <summary>A provider jailed (<paramref name="Jailed"/>) or unjailed at <paramref name="Block"/>.</summary>
public sealed record JailChange(Address Provider, bool Jailed, BigInteger Block);
