using System.Numerics;
using Google.Protobuf;
using Microsoft.Extensions.Logging.Abstractions;
using Peerz.Chain.Contracts;
using Peerz.Chain.Crypto;
using Peerz.Client.Payments;
using Peerz.Client.Remote;
using Peerz.Discovery;
using Peerz.Model;
using Peerz.Model.Checkpoints;
using Peerz.Model.Generation;
using Peerz.Node.Payments;
using Peerz.Protocol.Payments;
using Peerz.Protocol.Wire;
using Peerz.Testing.Chain;
using Voucher = Peerz.Chain.Contracts.Voucher;

namespace Peerz.Integration.Tests.Payments;

/// <summary>
/// Paying per token on Hardhat's node: two staked providers on real libp2p hosts, a client that deposits and
/// generates, redemption on chain, and every way the payment path must refuse.
/// </summary>
[Trait("Category", "Chain")]
public sealed class PaymentsEndToEndTests(TinyModelFixture model, PeerzDevnet devnet) : IClassFixture<TinyModelFixture>, IClassFixture<PeerzDevnet>, IAsyncDisposable
{
    private static readonly int[] Prompt = [1, 17, 42, 99];
    private static readonly BigInteger Price = 3_000_000_000_000; // wei per token per block
    private static readonly BigInteger Stake = 100 * PeerzDevnet.Prz;
    private readonly PaidSwarm _swarm = PaidSwarm.InTemporaryDirectory(devnet, "payments");

    public ValueTask DisposeAsync() => _swarm.DisposeAsync();

    [Fact]
    public async Task A_client_pays_exactly_tokens_times_blocks_times_price_to_each_provider_and_a_client_without_deposit_is_refused()
    {
        using var local = LocalModel.Load(model.Directory);
        var options = new GenerationOptions { MaxNewTokens = 50 };
        var expectedTokens = await local.CreateGenerator().GenerateAsync(Prompt, options).ToListAsync();

        using var checkpoint = Checkpoint.Open(model.Directory);
        var (keyA, keyB, client, broke) = (HardhatNode.Accounts[1], HardhatNode.Accounts[2], HardhatNode.Accounts[3], HardhatNode.Accounts[4]);
        var first = await _swarm.StartProviderAsync(checkpoint, 0, 2, keyA, Price, [], Stake);
        var bootstrap = first.Node.ListenAddresses;
        var second = await _swarm.StartProviderAsync(checkpoint, 2, 4, keyB, Price, bootstrap, Stake);
        foreach (var node in new[] { first.Node, second.Node }) await node.AnnounceAsync(CancellationToken.None);

        await devnet.Token(client).ApproveAsync(devnet.Deployment.Escrow, 10 * PeerzDevnet.Prz);
        await devnet.Escrow(client).DepositAsync(10 * PeerzDevnet.Prz);
        var escrowBefore = await devnet.Escrow().BalanceOfAsync(client.Address);
        var balanceBefore = (A: await devnet.Token().BalanceOfAsync(keyA.Address), B: await devnet.Token().BalanceOfAsync(keyB.Address));

        var (swarm, payments) = await _swarm.ConnectClientAsync(client, bootstrap);
        var receipts = new List<PaymentRecord>();
        payments.Paid += receipts.Add;
        var generated = await new TextGenerator(local.Head, PaidSwarm.Pipeline(swarm, payments, 4)).GenerateAsync(Prompt, options).ToListAsync();
        Assert.Equal(expectedTokens, generated);

        // Every position goes through both providers once: the prompt, then each generated token but the last.
        var positions = Prompt.Length + options.MaxNewTokens - 1;
        var computedEach = positions * 2 * Price;
        Assert.Equal(2 * options.MaxNewTokens, receipts.Count);
        Assert.Equal(computedEach, receipts.Where(r => r.Provider.Account == keyA.Address).Aggregate(BigInteger.Zero, (s, r) => s + r.Cost));
        // Receipt v2: each names the provider paid, this client, the float32 serving mode and what the step cost.
        Assert.All(receipts, r =>
        {
            Assert.Equal(r.Provider.Account, r.Receipt.Receipt.Provider);
            Assert.Equal(client.Address, r.Receipt.Receipt.Client);
            Assert.Equal(ServingMode.Float32.Encode(), r.Receipt.Receipt.ServingMode);
            Assert.Equal(r.Cost, r.Receipt.Receipt.Amount);
        });

        // Opening each session paid for its slot: one token through the provider's 2 blocks.
        var owedEach = computedEach + (1 * 2 * Price);
        var redeemedA = await first.Redeemer.RedeemAllAsync(CancellationToken.None);
        var redeemedB = await second.Redeemer.RedeemAllAsync(CancellationToken.None);
        Assert.Equal(owedEach, Assert.Single(redeemedA).Paid);
        Assert.Equal(owedEach, Assert.Single(redeemedB).Paid);
        // Each provider receives what it redeemed less the protocol fee, which went to the reward pool.
        var fee = await devnet.FeeOfAsync(owedEach);
        Assert.Equal(balanceBefore.A + owedEach - fee, await devnet.Token().BalanceOfAsync(keyA.Address));
        Assert.Equal(balanceBefore.B + owedEach - fee, await devnet.Token().BalanceOfAsync(keyB.Address));
        Assert.Equal(fee, await devnet.Escrow().FeesPaidAsync(client.Address, keyA.Address));
        // The client reserved one lane top-up (1 PRZ) per provider from its deposit; redemptions drew on those lanes only.
        Assert.Equal(escrowBefore - (2 * PeerzDevnet.Prz), await devnet.Escrow().BalanceOfAsync(client.Address));
        Assert.Equal(PeerzDevnet.Prz - owedEach, (await devnet.Escrow().LaneAsync(client.Address, keyA.Address)).Amount);
        Assert.Empty(await first.Redeemer.RedeemAllAsync(CancellationToken.None)); // nothing is redeemed twice

        // Without a deposit the client cannot fund a lane, so it does not even ask (a provider would refuse it: see EscrowLaneTests).
        var (brokeSwarm, brokePayments) = await _swarm.ConnectClientAsync(broke, bootstrap);
        var refused = await Assert.ThrowsAsync<PaymentException>(async () =>
            await new TextGenerator(local.Head, PaidSwarm.Pipeline(brokeSwarm, brokePayments, 4)).GenerateAsync(Prompt, options).ToListAsync());
        Assert.Contains("deposit more", refused.Message);
    }

    [Fact]
    public async Task Unstaked_or_jailed_providers_cannot_start_and_clients_will_not_pay_a_jailed_one()
    {
        using var checkpoint = Checkpoint.Open(model.Directory);
        var key = HardhatNode.Accounts[5];
        var provider = await _swarm.StartProviderAsync(checkpoint, 0, 4, key, Price, [], Stake);

        // The verifier role (the deployer on the devnet) slashes with a receipt the provider signed.
        var receipt = new WorkReceipt(key.Address, Address.Zero, WorkIds.NewSession(WorkKind.Inference), 0, WorkIds.Model("tiny"), 0, 4, new byte[32], new byte[32], 1, 1, 0, 0);
        await devnet.Registry(devnet.Deployer).ProposeSlashAsync(receipt, receipt.Sign(key, devnet.Deployment.ChainId, devnet.Deployment.Registry), SlashFault.WrongOutput,
            Keccak.Hash("recomputed"), new byte[32]);

        var registration = new ProviderRegistration(devnet.Registry(key), devnet.Token(key), devnet.Deployment.ChainId, NullLogger<ProviderRegistration>.Instance);
        var error = await Assert.ThrowsAsync<ProviderNotEligibleException>(() => registration.EnsureAsync(key, provider.Node.PeerId, Price, 0, CancellationToken.None));
        Assert.Contains("jailed", error.Message);

        // An account that never staked is refused too, with what to do about it.
        var newcomer = await devnet.NewFundedAccountAsync();
        var unstaked = await Assert.ThrowsAsync<ProviderNotEligibleException>(() => new ProviderRegistration(devnet.Registry(newcomer), devnet.Token(newcomer),
            devnet.Deployment.ChainId, NullLogger<ProviderRegistration>.Instance).EnsureAsync(newcomer, provider.Node.PeerId, Price, 0, CancellationToken.None));
        Assert.Contains("--stake", unstaked.Message);

        var accounts = new ProviderAccounts(devnet.Registry(), TimeSpan.Zero, TimeProvider.System);
        var record = new ProviderRecord { PeerId = provider.Node.PeerId.ToString(), ModelId = "tiny", Start = 0, End = 4, Account = key.Address.ToString() };
        Assert.Contains("jailed", (await Assert.ThrowsAsync<PaymentException>(() => accounts.ResolveAsync(record, CancellationToken.None))).Message);
    }

    [Fact]
    public async Task Tampered_receipts_and_misdirected_vouchers_are_rejected()
    {
        using var checkpoint = Checkpoint.Open(model.Directory);
        var (providerKey, client) = (HardhatNode.Accounts[6], HardhatNode.Accounts[7]);
        var provider = await _swarm.StartProviderAsync(checkpoint, 0, 4, providerKey, Price, [], Stake);
        await devnet.Token(client).ApproveAsync(devnet.Deployment.Escrow, PeerzDevnet.Prz);
        await devnet.Escrow(client).DepositAsync(PeerzDevnet.Prz);
        var (_, payments) = await _swarm.ConnectClientAsync(client, provider.Node.ListenAddresses);
        var record = new ProviderRecord { PeerId = provider.Node.PeerId.ToString(), ModelId = "tiny", Start = 0, End = 4, Account = providerKey.Address.ToString() };

        // The client: a receipt must hash exactly what came back and be signed by the registered signer.
        var input = new byte[] { 1, 2, 3 };
        var output = new byte[] { 4, 5, 6 };
        var sessionId = WorkIds.NewSession(WorkKind.Forward);
        var expected = new ExpectedWork(WorkKind.Forward, sessionId, 0, "tiny", 0, 4, input, output, 8);
        Receipt SignedBy(EthKey signer, byte[] outputHash, Func<WorkReceipt, WorkReceipt>? change = null) => SignedReceipt.Sign(
            (change ?? (r => r))(new WorkReceipt(providerKey.Address, client.Address, sessionId, 0, WorkIds.Model("tiny"), 0, 4, WorkBytes.Hash(input), outputHash, 8,
                (ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds(), 0, 8 * 4 * Price)),
            signer, devnet.Deployment.ChainId, devnet.Deployment.Registry).ToWire();
        async Task<string> Rejection(Receipt receipt)
        {
            await using var paid = await payments.BeginAsync(record, 8, 4, CancellationToken.None);
            return (await Assert.ThrowsAsync<PaymentException>(() => paid.AcceptAsync(receipt, expected, CancellationToken.None))).Message;
        }
        Assert.Contains("output hash", await Rejection(SignedBy(providerKey, WorkBytes.Hash([9, 9, 9]))));
        Assert.Contains("registered signer", await Rejection(SignedBy(HardhatNode.Accounts[4], WorkBytes.Hash(output))));
        // Receipt v2: signed by the right key, but naming another provider, another client, another amount or another serving mode.
        var hashed = WorkBytes.Hash(output);
        Assert.Contains("names provider", await Rejection(SignedBy(providerKey, hashed, r => r with { Provider = HardhatNode.Accounts[2].Address })));
        Assert.Contains("names client", await Rejection(SignedBy(providerKey, hashed, r => r with { Client = HardhatNode.Accounts[4].Address })));
        Assert.Contains("names client", await Rejection(SignedBy(providerKey, hashed, r => r with { Client = Address.Zero })));
        Assert.Contains("signed for", await Rejection(SignedBy(providerKey, hashed, r => r with { Amount = r.Amount + 1 })));
        Assert.Contains("serving mode", await Rejection(SignedBy(providerKey, hashed, r => r with { ServingMode = new ServingMode("bfloat16", "none").Encode() })));
        await using (var paid = await payments.BeginAsync(record, 8, 4, CancellationToken.None))
            await paid.AcceptAsync(SignedBy(providerKey, WorkBytes.Hash(output)), expected, CancellationToken.None);

        // The provider: a voucher must name it and be signed for this chain and escrow.
        var cumulative = 1000 * Price;
        async Task<string> Refusal(SignedVoucher voucher) =>
            (await Assert.ThrowsAsync<Node.Protocols.RequestRejectedException>(() => provider.Payments.ChargeAsync(voucher.ToWire(), 1, 1, CancellationToken.None))).Message;
        var forOther = SignedVoucher.Sign(new Voucher(client.Address, HardhatNode.Accounts[2].Address, cumulative, 100), client, devnet.Deployment.ChainId, devnet.Deployment.Escrow);
        Assert.Contains("this provider's account", await Refusal(forOther));
        var otherChain = SignedVoucher.Sign(new Voucher(client.Address, providerKey.Address, cumulative, 100), client, 1, devnet.Deployment.Escrow);
        Assert.Contains("not signed by its client", await Refusal(otherChain));
        var forged = SignedVoucher.Sign(new Voucher(client.Address, providerKey.Address, cumulative, 100), HardhatNode.Accounts[4], devnet.Deployment.ChainId, devnet.Deployment.Escrow);
        Assert.Contains("not signed by its client", await Refusal(forged));
        var overdraft = SignedVoucher.Sign(new Voucher(client.Address, providerKey.Address, 2 * PeerzDevnet.Prz, 100), client, devnet.Deployment.ChainId, devnet.Deployment.Escrow);
        Assert.Contains("escrow lane", await Refusal(overdraft));
        var good = SignedVoucher.Sign(new Voucher(client.Address, providerKey.Address, cumulative, 100), client, devnet.Deployment.ChainId, devnet.Deployment.Escrow);
        await provider.Payments.ChargeAsync(good.ToWire(), 1, 1, CancellationToken.None);
        Assert.Contains("nonce", await Refusal(good)); // a replayed voucher pays for nothing
        var garbled = good.ToWire();
        garbled.Signature = ByteString.CopyFrom(new byte[3]);
        Assert.Equal(ErrorCode.BadRequest, (await Assert.ThrowsAsync<Node.Protocols.RequestRejectedException>(() => provider.Payments.ChargeAsync(garbled, 1, 1, CancellationToken.None))).Code);
    }
}
