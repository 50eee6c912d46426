using System.Numerics;
using Peerz.Chain.Abi;
using Peerz.Chain.Crypto;
using Peerz.Chain.Rpc;
using static Peerz.Chain.Contracts.AbiDefinitions;

namespace Peerz.Chain.Contracts;

/// <summary>Binding for PeerzToken (ERC-20 "PRZ" with permit and votes).</summary>
public sealed class PeerzToken(EthRpcClient rpc, Address address, TransactionSender? sender = null) : ContractBinding(rpc, address, sender)
{
    public static readonly AbiFunction BalanceOfFunction = AbiFunction.Parse("balanceOf(address)", "uint256");
    public static readonly AbiFunction TotalSupplyFunction = AbiFunction.Parse("totalSupply()", "uint256");
    public static readonly AbiFunction AllowanceFunction = AbiFunction.Parse("allowance(address,address)", "uint256");
    public static readonly AbiFunction ApproveFunction = AbiFunction.Parse("approve(address,uint256)", "bool");
    public static readonly AbiFunction TransferFunction = AbiFunction.Parse("transfer(address,uint256)", "bool");
    public static readonly AbiFunction NoncesFunction = AbiFunction.Parse("nonces(address)", "uint256");
    public static readonly AbiFunction DelegateFunction = AbiFunction.Parse("delegate(address)");
    public static readonly AbiFunction GetVotesFunction = AbiFunction.Parse("getVotes(address)", "uint256");
    public static readonly AbiFunction SetMinterFunction = AbiFunction.Parse("setMinter(address)");

    public static readonly AbiEvent TransferEvent = Event("Transfer", Indexed("from", "address"), Indexed("to", "address"), Field("value", "uint256"));
    public static readonly AbiEvent ApprovalEvent = Event("Approval", Indexed("owner", "address"), Indexed("spender", "address"), Field("value", "uint256"));

    public static IReadOnlyList<AbiFunction> Functions { get; } =
        [BalanceOfFunction, TotalSupplyFunction, AllowanceFunction, ApproveFunction, TransferFunction, NoncesFunction, DelegateFunction, GetVotesFunction, SetMinterFunction];

    public static IReadOnlyList<AbiEvent> EventDefinitions { get; } = [TransferEvent, ApprovalEvent];

    public static IReadOnlyList<AbiError> ErrorDefinitions { get; } =
    [
        AbiError.Parse("ERC20InsufficientBalance(address,uint256,uint256)"),
        AbiError.Parse("ERC20InsufficientAllowance(address,uint256,uint256)"),
        AbiError.Parse("MinterAlreadySet()"),
        AbiError.Parse("NotMinter(address)"),
    ];

    public override IReadOnlyList<AbiError> Errors => ErrorDefinitions;

    public Task<BigInteger> BalanceOfAsync(Address account, CancellationToken cancellationToken = default) => CallSingleAsync<BigInteger>(BalanceOfFunction, [account], cancellationToken);

    public Task<BigInteger> TotalSupplyAsync(CancellationToken cancellationToken = default) => CallSingleAsync<BigInteger>(TotalSupplyFunction, [], cancellationToken);

    public Task<BigInteger> AllowanceAsync(Address owner, Address spender, CancellationToken cancellationToken = default) => CallSingleAsync<BigInteger>(AllowanceFunction, [owner, spender], cancellationToken);

    public Task<TransactionReceipt> ApproveAsync(Address spender, BigInteger amount, CancellationToken cancellationToken = default) => SendAsync(ApproveFunction, [spender, amount], cancellationToken);

    public Task<TransactionReceipt> TransferAsync(Address to, BigInteger amount, CancellationToken cancellationToken = default) => SendAsync(TransferFunction, [to, amount], cancellationToken);

    /// <summary>Gives <paramref name="delegatee"/> this account's voting power (delegate to yourself to vote).</summary>
    public Task<TransactionReceipt> DelegateAsync(Address delegatee, CancellationToken cancellationToken = default) => SendAsync(DelegateFunction, [delegatee], cancellationToken);

    public Task<BigInteger> GetVotesAsync(Address account, CancellationToken cancellationToken = default) => CallSingleAsync<BigInteger>(GetVotesFunction, [account], cancellationToken);
}
