using System.Numerics;
using Peerz.Chain.Abi;
using Peerz.Chain.Contracts;
using Peerz.Chain.Crypto;
using Peerz.Chain.Primitives;
using Peerz.Chain.Rpc;
using Peerz.Chain.Tests.Support;
using Peerz.Chain.Transactions;
using Peerz.Testing.Chain;

namespace Peerz.Chain.Tests.Live;

/// <summary>The Peerz contracts deployed and used from C# against Hardhat's node.</summary>
[Collection(HardhatCollection.Name)]
[Trait("Category", "Chain")]
public sealed class PeerzContractsLiveTests(HardhatNode node)
{
    private static readonly BigInteger Ether = BigInteger.Pow(10, 18);

    [Fact]
    public async Task Deploy_stake_deposit_redeem_voucher_and_read_reverts()
    {
        var rpc = node.Rpc;
        var nonces = new NonceManager(rpc);
        var deployer = HardhatNode.Accounts[0];
        var provider = HardhatNode.Accounts[1];
        var client = HardhatNode.Accounts[2];
        var deployerSender = new TransactionSender(rpc, deployer, nonces);
        var providerSender = new TransactionSender(rpc, provider, nonces);
        var clientSender = new TransactionSender(rpc, client, nonces);
        var chainId = await rpc.ChainIdAsync();

        var tokenAddress = await DeployAsync(deployerSender, "PeerzToken", deployer.Address, 1_000_000 * Ether);
        var registryAddress = await DeployAsync(deployerSender, "ProviderRegistry", tokenAddress, deployer.Address, 100 * Ether, (BigInteger)3600, (BigInteger)1000, (BigInteger)3600);
        var escrowAddress = await DeployAsync(deployerSender, "PaymentEscrow", tokenAddress, (BigInteger)3600);

        var token = new PeerzToken(rpc, tokenAddress, deployerSender);
        Assert.Equal(1_000_000 * Ether, await token.TotalSupplyAsync());
        var funding = await token.TransferAsync(provider.Address, 1000 * Ether);
        var transfer = token.Events(funding, PeerzToken.TransferEvent).Single();
        Assert.Equal(deployer.Address, transfer["from"]);
        Assert.Equal(provider.Address, transfer["to"]);
        Assert.Equal(1000 * Ether, transfer["value"]);
        await token.TransferAsync(client.Address, 1000 * Ether);

        // Provider stakes.
        var providerToken = new PeerzToken(rpc, tokenAddress, providerSender);
        var registry = new ProviderRegistry(rpc, registryAddress, providerSender);
        await providerToken.ApproveAsync(registryAddress, 200 * Ether);
        var peerId = Hex.Decode("0x0024080112201234");
        var staked = await registry.StakeAsync(200 * Ether, provider.Address, peerId, 5, SignerBinding.Prove(provider, chainId, registryAddress, provider.Address));
        var stakedEvent = registry.Events(staked, ProviderRegistry.StakedEvent).Single();
        Assert.Equal(provider.Address, stakedEvent["provider"]);
        Assert.Equal(200 * Ether, stakedEvent["totalStake"]);
        Assert.Equal(peerId, stakedEvent["peerId"]);
        var info = await registry.GetProviderAsync(provider.Address);
        Assert.Equal(200 * Ether, info.Stake);
        Assert.Equal(provider.Address, info.Signer);
        Assert.True(await registry.IsActiveAsync(provider.Address));

        // Below-minimum stake reverts with the contract's custom error, decoded.
        var tooSmall = await Assert.ThrowsAsync<ContractRevertException>(() => new ProviderRegistry(rpc, registryAddress, clientSender).StakeAsync(1, client.Address, peerId, 5, SignerBinding.Prove(client, chainId, registryAddress, client.Address)));
        Assert.Equal(RevertKind.Custom, tooSmall.Reason.Kind);

        // Receipt digest: ours equals the contract's.
        var receipt = new WorkReceipt(provider.Address, client.Address, Keccak.Hash("session"), 7, Keccak.Hash("model"), 0, 4, Keccak.Hash("in"), Keccak.Hash("out"), 12, 1_700_000_000,
            0x12, 60 * Ether);
        Assert.Equal(Hex.Encode(receipt.Digest(chainId, registryAddress)), Hex.Encode(await registry.ReceiptDigestAsync(receipt)));

        // Client deposits and pays by voucher.
        var clientToken = new PeerzToken(rpc, tokenAddress, clientSender);
        var clientEscrow = new PaymentEscrow(rpc, escrowAddress, clientSender);
        await clientToken.ApproveAsync(escrowAddress, 500 * Ether);
        var deposited = clientEscrow.Events(await clientEscrow.DepositAsync(500 * Ether), PaymentEscrow.DepositedEvent).Single();
        Assert.Equal(500 * Ether, deposited["balance"]);

        // Only the client's lane to this provider pays it.
        var reserved = clientEscrow.Events(await clientEscrow.ReserveAsync(provider.Address, 100 * Ether), PaymentEscrow.ReservedEvent).Single();
        Assert.Equal(100 * Ether, reserved["lane"]);
        var providerEscrow = new PaymentEscrow(rpc, escrowAddress, providerSender);
        var voucher = new Voucher(client.Address, provider.Address, 50 * Ether, 1);
        Assert.Equal(Hex.Encode(voucher.Digest(chainId, escrowAddress)), Hex.Encode(await providerEscrow.VoucherDigestAsync(voucher)));
        var before = await providerToken.BalanceOfAsync(provider.Address);
        var redeemReceipt = await providerEscrow.RedeemAsync(voucher, voucher.Sign(client, chainId, escrowAddress));
        var redeemed = providerEscrow.Events(redeemReceipt, PaymentEscrow.RedeemedEvent).Single();
        Assert.Equal(client.Address, redeemed["client"]);
        Assert.Equal(provider.Address, redeemed["provider"]);
        Assert.Equal(50 * Ether, redeemed["paid"]);
        Assert.Equal(BigInteger.Zero, redeemed["fee"]); // deployed here without a fee or reward pool
        Assert.Equal(before + 50 * Ether, await providerToken.BalanceOfAsync(provider.Address));
        Assert.Equal(50 * Ether, await providerEscrow.RedeemedAsync(client.Address, provider.Address));
        Assert.Equal(400 * Ether, await providerEscrow.BalanceOfAsync(client.Address));
        Assert.Equal(new EscrowLane(50 * Ether, 0, 0), await providerEscrow.LaneAsync(client.Address, provider.Address));

        // A later voucher with a lower cumulative amount is refused; the revert reason is read back.
        var lower = new Voucher(client.Address, provider.Address, 30 * Ether, 2);
        var revert = await Assert.ThrowsAsync<ContractRevertException>(() => providerEscrow.RedeemAsync(lower, lower.Sign(client, chainId, escrowAddress)));
        Assert.Equal("CumulativeAmountDecreased", revert.Reason.ErrorName);
        Assert.Equal(new object?[] { 30 * Ether, 50 * Ether }, revert.Reason.Arguments);

        // A voucher signed by someone else than the client is refused too.
        var forged = new Voucher(client.Address, provider.Address, 60 * Ether, 3);
        var forgedRevert = await Assert.ThrowsAsync<ContractRevertException>(() => providerEscrow.RedeemAsync(forged, forged.Sign(provider, chainId, escrowAddress)));
        Assert.Equal("InvalidSignature", forgedRevert.Reason.ErrorName);
        Assert.Equal(provider.Address, forgedRevert.Reason.Arguments![0]);
    }

    [Fact]
    public async Task Concurrent_senders_sharing_a_nonce_manager_never_collide()
    {
        var rpc = node.Rpc;
        var nonces = new NonceManager(rpc);
        var sender = HardhatNode.Accounts[3];
        var recipient = EthKey.Generate().Address;
        var senders = Enumerable.Range(0, 4).Select(_ => new TransactionSender(rpc, sender, nonces)).ToArray();
        var start = await rpc.GetTransactionCountAsync(sender.Address);
        var receipts = await Task.WhenAll(Enumerable.Range(0, 12).Select(i =>
            senders[i % senders.Length].SendAndWaitAsync(new TransactionRequest(recipient, [], Value: 1000 + i, GasLimit: 21000))));
        Assert.All(receipts, r => Assert.True(r.Succeeded));
        Assert.Equal(start + 12, await rpc.GetTransactionCountAsync(sender.Address));
        Assert.Equal(Enumerable.Range(0, 12).Sum(i => 1000 + i), (int)await rpc.GetBalanceAsync(recipient));
    }

    [Fact]
    public async Task Legacy_eip155_transaction_is_accepted_and_mined()
    {
        var rpc = node.Rpc;
        var from = HardhatNode.Accounts[1];
        var to = EthKey.Generate().Address;
        var transaction = new LegacyTransaction(
            await rpc.ChainIdAsync(), await rpc.GetTransactionCountAsync(from.Address), 2 * await rpc.GasPriceAsync(), 21000, to, 12345, []);
        var signed = SignedTransaction.Sign(transaction, from);
        Assert.Equal(signed.Hash, await rpc.SendRawTransactionAsync(signed.Raw));
        var receipt = await new TransactionSender(rpc, from).WaitForReceiptAsync(signed.Hash);
        Assert.True(receipt.Succeeded);
        Assert.Equal(12345, (int)await rpc.GetBalanceAsync(to));
    }

    [Fact]
    public async Task Node_errors_are_quoted()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => node.Rpc.CallAsync("eth_noSuchMethod", []));
        Assert.Contains("eth_noSuchMethod", error.Message, StringComparison.Ordinal);
        Assert.NotNull(error.Code);
        var badTx = await Assert.ThrowsAsync<RpcException>(() => node.Rpc.SendRawTransactionAsync([0x02, 0xc0]));
        Assert.Contains("node answered", badTx.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fee_suggestion_and_gas_estimate_come_from_the_node()
    {
        var fees = await FeeSuggestion.FromNodeAsync(node.Rpc);
        var baseFee = await node.Rpc.LatestBaseFeeAsync();
        Assert.True(fees.MaxFeePerGas >= 2 * baseFee!.Value);
        Assert.True(fees.MaxFeePerGas >= fees.MaxPriorityFeePerGas);
        var gas = await node.Rpc.EstimateGasAsync(new CallRequest(EthKey.Generate().Address, [], HardhatNode.Accounts[0].Address, 1));
        // A plain transfer costs 21000 gas; Hardhat's estimator may add a unit of slack.
        Assert.InRange((int)gas, 21000, 21100);
    }

    private static async Task<Address> DeployAsync(TransactionSender sender, string name, params object?[] arguments)
    {
        var artifact = HardhatNode.Artifact(name);
        var receipt = await sender.SendAndWaitAsync(new TransactionRequest(null, artifact.DeploymentData(arguments)));
        return receipt.ContractAddress ?? throw new InvalidOperationException($"{name} deployment has no contract address");
    }
}
