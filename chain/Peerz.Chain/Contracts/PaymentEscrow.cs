using System.Numerics;
using Peerz.Chain.Abi;
using Peerz.Chain.Crypto;
using Peerz.Chain.Rpc;
using static Peerz.Chain.Contracts.AbiDefinitions;

namespace Peerz.Chain.Contracts;

/// <summary>A client's reserved lane to one provider (PaymentEscrow.lane): only it pays that provider; <see cref="Releasing"/> is on its way back.</summary>
public sealed record EscrowLane(BigInteger Amount, BigInteger Releasing, ulong ReleaseTime)
{
    /// <summary>What new vouchers may still draw: the lane without what is being released.</summary>
    public BigInteger Spendable => Amount - Releasing;
}

/// <summary>Binding for PaymentEscrow (client deposits, per-provider lanes, provider redemption of cumulative vouchers).</summary>
public sealed class PaymentEscrow(EthRpcClient rpc, Address address, TransactionSender? sender = null) : ContractBinding(rpc, address, sender)
{
    private const string VoucherTuple = "(address,address,uint256,uint256)";

    public static readonly AbiFunction DepositFunction = AbiFunction.Parse("deposit(uint256)");
    public static readonly AbiFunction RequestWithdrawalFunction = AbiFunction.Parse("requestWithdrawal(uint256)");
    public static readonly AbiFunction WithdrawFunction = AbiFunction.Parse("withdraw()");
    public static readonly AbiFunction RedeemFunction = AbiFunction.Parse($"redeem({VoucherTuple},bytes)");
    public static readonly AbiFunction ReserveFunction = AbiFunction.Parse("reserve(address,uint256)");
    public static readonly AbiFunction RequestReleaseFunction = AbiFunction.Parse("requestRelease(address,uint256)");
    public static readonly AbiFunction ReleaseFunction = AbiFunction.Parse("release(address)");
    public static readonly AbiFunction LaneFunction = AbiFunction.Parse("lane(address,address)", "uint256", "uint256", "uint64");
    public static readonly AbiFunction SpendableFunction = AbiFunction.Parse("spendable(address,address)", "uint256");
    public static readonly AbiFunction BalanceOfFunction = AbiFunction.Parse("balanceOf(address)", "uint256");
    public static readonly AbiFunction RedeemedFunction = AbiFunction.Parse("redeemed(address,address)", "uint256");
    public static readonly AbiFunction LastNonceFunction = AbiFunction.Parse("lastNonce(address,address)", "uint256");
    public static readonly AbiFunction VoucherDigestFunction = AbiFunction.Parse($"voucherDigest({VoucherTuple})", "bytes32");
    public static readonly AbiFunction WithdrawalDelayFunction = AbiFunction.Parse("withdrawalDelay()", "uint64");
    public static readonly AbiFunction FeesPaidFunction = AbiFunction.Parse("feesPaid(address,address)", "uint256");
    public static readonly AbiFunction ProtocolFeeBpsFunction = AbiFunction.Parse("protocolFeeBps()", "uint16");
    public static readonly AbiFunction SetProtocolFeeFunction = AbiFunction.Parse("setProtocolFee(uint16)");

    public static readonly AbiEvent DepositedEvent = Event("Deposited", Indexed("client", "address"), Field("amount", "uint256"), Field("balance", "uint256"));
    public static readonly AbiEvent RedeemedEvent = Event("Redeemed", Indexed("client", "address"), Indexed("provider", "address"), Field("nonce", "uint256"), Field("cumulativeAmount", "uint256"), Field("paid", "uint256"), Field("fee", "uint256"));
    public static readonly AbiEvent WithdrawalRequestedEvent = Event("WithdrawalRequested", Indexed("client", "address"), Field("amount", "uint256"), Field("releaseTime", "uint64"));
    public static readonly AbiEvent WithdrawnEvent = Event("Withdrawn", Indexed("client", "address"), Field("amount", "uint256"));
    public static readonly AbiEvent ReservedEvent = Event("Reserved", Indexed("client", "address"), Indexed("provider", "address"), Field("amount", "uint256"), Field("lane", "uint256"));
    public static readonly AbiEvent ReleaseRequestedEvent = Event("ReleaseRequested", Indexed("client", "address"), Indexed("provider", "address"), Field("amount", "uint256"), Field("releaseTime", "uint64"));
    public static readonly AbiEvent ReleasedEvent = Event("Released", Indexed("client", "address"), Indexed("provider", "address"), Field("amount", "uint256"));

    public static IReadOnlyList<AbiFunction> Functions { get; } =
        [
            DepositFunction, RequestWithdrawalFunction, WithdrawFunction, ReserveFunction, RequestReleaseFunction, ReleaseFunction, LaneFunction, SpendableFunction, RedeemFunction,
            BalanceOfFunction, RedeemedFunction, LastNonceFunction, VoucherDigestFunction, WithdrawalDelayFunction, FeesPaidFunction, ProtocolFeeBpsFunction,
            SetProtocolFeeFunction,
        ];

    public static IReadOnlyList<AbiEvent> EventDefinitions { get; } =
        [DepositedEvent, RedeemedEvent, WithdrawalRequestedEvent, WithdrawnEvent, ReservedEvent, ReleaseRequestedEvent, ReleasedEvent];

    public static IReadOnlyList<AbiError> ErrorDefinitions { get; } =
    [
        AbiError.Parse("CumulativeAmountDecreased(uint256,uint256)"),
        AbiError.Parse("FeeOutOfBounds(uint16)"),
        AbiError.Parse("NoRewardPool()"),
        AbiError.Parse("InsufficientBalance(uint256,uint256)"),
        AbiError.Parse("InsufficientLane(uint256,uint256)"),
        AbiError.Parse("ReleaseNotReady(uint64)"),
        AbiError.Parse("NoReleaseRequested()"),
        AbiError.Parse("InvalidSignature(address)"),
        AbiError.Parse("NoWithdrawalRequested()"),
        AbiError.Parse("NotVoucherProvider(address,address)"),
        AbiError.Parse("StaleNonce(uint256,uint256)"),
        AbiError.Parse("WithdrawalNotReady(uint64)"),
        AbiError.Parse("ZeroAmount()"),
    ];

    public override IReadOnlyList<AbiError> Errors => ErrorDefinitions;

    public Task<TransactionReceipt> DepositAsync(BigInteger amount, CancellationToken cancellationToken = default) => SendAsync(DepositFunction, [amount], cancellationToken);

    public Task<TransactionReceipt> RequestWithdrawalAsync(BigInteger amount, CancellationToken cancellationToken = default) => SendAsync(RequestWithdrawalFunction, [amount], cancellationToken);

    public Task<TransactionReceipt> WithdrawAsync(CancellationToken cancellationToken = default) => SendAsync(WithdrawFunction, [], cancellationToken);

    /// <summary>Moves <paramref name="amount"/> of the sender's unreserved balance into its lane to <paramref name="provider"/>.</summary>
    public Task<TransactionReceipt> ReserveAsync(Address provider, BigInteger amount, CancellationToken cancellationToken = default) => SendAsync(ReserveFunction, [provider, amount], cancellationToken);

    public Task<TransactionReceipt> RequestReleaseAsync(Address provider, BigInteger amount, CancellationToken cancellationToken = default) => SendAsync(RequestReleaseFunction, [provider, amount], cancellationToken);

    public Task<TransactionReceipt> ReleaseAsync(Address provider, CancellationToken cancellationToken = default) => SendAsync(ReleaseFunction, [provider], cancellationToken);

    public async Task<EscrowLane> LaneAsync(Address client, Address provider, CancellationToken cancellationToken = default)
    {
        var v = await CallAsync(LaneFunction, [client, provider], cancellationToken).ConfigureAwait(false);
        return new EscrowLane(Big(v[0]), Big(v[1]), (ulong)Big(v[2]));
    }

    public Task<BigInteger> SpendableAsync(Address client, Address provider, CancellationToken cancellationToken = default) => CallSingleAsync<BigInteger>(SpendableFunction, [client, provider], cancellationToken);

    public Task<TransactionReceipt> RedeemAsync(Voucher voucher, EthSignature signature, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(voucher);
        ArgumentNullException.ThrowIfNull(signature);
        return SendAsync(RedeemFunction, [voucher.ToTuple(), signature.ToBytes()], cancellationToken);
    }

    public Task<BigInteger> BalanceOfAsync(Address client, CancellationToken cancellationToken = default) => CallSingleAsync<BigInteger>(BalanceOfFunction, [client], cancellationToken);

    public Task<BigInteger> RedeemedAsync(Address client, Address provider, CancellationToken cancellationToken = default) => CallSingleAsync<BigInteger>(RedeemedFunction, [client, provider], cancellationToken);

    /// <summary>The protocol fee taken so far from what <paramref name="client"/> paid <paramref name="provider"/> (part of <see cref="RedeemedAsync"/>).</summary>
    public Task<BigInteger> FeesPaidAsync(Address client, Address provider, CancellationToken cancellationToken = default) => CallSingleAsync<BigInteger>(FeesPaidFunction, [client, provider], cancellationToken);

    /// <summary>The share of each redemption, in basis points, that goes to the reward pool.</summary>
    public async Task<int> ProtocolFeeBpsAsync(CancellationToken cancellationToken = default) => (int)await CallSingleAsync<BigInteger>(ProtocolFeeBpsFunction, [], cancellationToken).ConfigureAwait(false);

    public Task<TransactionReceipt> SetProtocolFeeAsync(int bps, CancellationToken cancellationToken = default) => SendAsync(SetProtocolFeeFunction, [new BigInteger(bps)], cancellationToken);

    public Task<BigInteger> LastNonceAsync(Address client, Address provider, CancellationToken cancellationToken = default) => CallSingleAsync<BigInteger>(LastNonceFunction, [client, provider], cancellationToken);

    /// <summary>How long withdrawn and released funds stay in the escrow (and redeemable) after they are requested.</summary>
    public async Task<TimeSpan> WithdrawalDelayAsync(CancellationToken cancellationToken = default) =>
        TimeSpan.FromSeconds((double)await CallSingleAsync<BigInteger>(WithdrawalDelayFunction, [], cancellationToken).ConfigureAwait(false));

    public Task<byte[]> VoucherDigestAsync(Voucher voucher, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(voucher);
        return CallSingleAsync<byte[]>(VoucherDigestFunction, [voucher.ToTuple()], cancellationToken);
    }
}
