using System.Diagnostics;
using System.Numerics;
using Microsoft.Extensions.Logging.Abstractions;
using Peerz.Chain.Contracts;
using Peerz.Chain.Crypto;
using Peerz.Settlement;
using Peerz.Settlement.Contributions;
using Peerz.Settlement.Epochs;
using Peerz.Settlement.Rewards;
using Peerz.Settlement.Storage;
using Peerz.Testing;
using Peerz.Testing.Chain;

namespace Peerz.Bench.Settlement;

/// <summary>
/// Settles one epoch of 10,000 accounts beside a 100-account baseline in the same run, on Hardhat's node. Each
/// account gets one leaf: 10 staked providers paid on chain by one client share N paid receipts (inference or
/// training), the other N − 10 accounts one verification or uptime contribution each. Measured: recording those
/// 2N − 10 reports in SQLite; the epoch close (work queries, registry standing and PaymentEscrow.redeemed reads,
/// backing, allocation, Merkle tree, proofs, store, postRoot, proofs file); the pure part on its own; the gas of
/// postRoot and of the deepest claim.
/// </summary>
internal static class SettlementBenchmark
{
    private const int ProvidersPerEpoch = 10;

    public static async Task RunAsync(string[] args)
    {
        var sizes = args.Length > 0 ? args.Select(a => int.Parse(a, System.Globalization.CultureInfo.InvariantCulture)).ToArray() : [100, 10_000];
        var devnet = new BenchDevnet();
        await devnet.InitializeAsync();
        var directory = TempDirectory.Create("settle-bench");
        try
        {
            var chain = await SettlementChain.ConnectAsync(devnet.Rpc, devnet.Deployment, devnet.Sender(devnet.Deployer), CancellationToken.None);
            var store = await SettlementStore.OpenAsync(Path.Combine(directory, "settlement.db"), CancellationToken.None);
            var closer = new EpochCloser(chain, store, new SettlementOptions { DataDirectory = directory, CloseDelay = TimeSpan.Zero }, NullLogger<EpochCloser>.Instance);

            // Warm-up (JIT, SQLite, node) with a small epoch that is not reported.
            await SettleAsync(devnet, chain, store, closer, 10);

            Console.WriteLine("| accounts (leaves) | record 2N − 10 reports | close epoch (total) | of which allocation + tree + proofs | postRoot gas | claim gas (proof depth) |");
            Console.WriteLine("|---|---|---|---|---|---|");
            foreach (var size in sizes)
            {
                var r = await SettleAsync(devnet, chain, store, closer, size);
                Console.WriteLine($"| {size:N0} | {r.Record.TotalSeconds:F2} s ({((2 * size) - Math.Min(ProvidersPerEpoch, size)) / r.Record.TotalSeconds:F0} /s) | {r.Close.TotalSeconds:F2} s | {r.Tree.TotalMilliseconds:F0} ms | {r.PostGas:N0} | {r.ClaimGas:N0} ({r.ProofDepth}) |");
            }
        }
        finally
        {
            await devnet.DisposeAsync();
            TempDirectory.Delete(directory);
        }
    }

    private static async Task<Result> SettleAsync(BenchDevnet devnet, SettlementChain chain, SettlementStore store, EpochCloser closer, int accounts)
    {
        // Start in a fresh epoch with everything before it settled.
        await devnet.AdvanceTimeAsync(TimeSpan.FromSeconds(BenchDevnet.EpochSeconds));
        for (var e = (long)await chain.Rewards.NextEpochToPostAsync(); e < await chain.CurrentEpochAsync(CancellationToken.None); e++)
            await closer.CloseAsync(e, CancellationToken.None);
        var epoch = await chain.CurrentEpochAsync(CancellationToken.None);

        var random = new Random(accounts);
        var payer = await devnet.NewFundedAccountAsync();
        var providers = new List<EthKey>();
        for (var i = 0; i < Math.Min(ProvidersPerEpoch, accounts); i++) providers.Add(await devnet.NewProviderAsync());
        var others = Enumerable.Range(0, accounts - providers.Count).Select(_ => EthKey.Generate().Address).ToArray();
        var paid = new BigInteger[providers.Count];

        var clock = Stopwatch.StartNew();
        for (var i = 0; i < accounts; i++)
        {
            var p = i % providers.Count;
            var amount = new BigInteger(random.Next(1, 100_000)) * 1_000_000_000;
            paid[p] += amount;
            await store.AddReceiptAsync(new PaidReceipt(RandomKey(random), epoch, providers[p].Address, payer.Address, (RewardRole)random.Next(2), amount), CancellationToken.None);
        }

        foreach (var account in others)
            await store.AddContributionAsync(new Contribution(RandomKey(random), epoch, account, (RewardRole)random.Next(2, 4), random.Next(1, 100_000)), CancellationToken.None);
        var record = clock.Elapsed;
        for (var p = 0; p < providers.Count; p++) await devnet.PayAsync(payer, providers[p], paid[p]);

        // The pure part of a close, timed on its own: backing, allocation, tree and every proof.
        var units = await store.UnitsAsync(epoch, CancellationToken.None);
        var work = await store.PairWorkAsync(epoch, CancellationToken.None);
        var backing = providers.ToDictionary(p => (p.Address, payer.Address), p => new PairBacking(paid[providers.IndexOf(p)], paid[providers.IndexOf(p)] / 20));
        var pool = await chain.Rewards.EpochPoolAsync(epoch);
        var weights = await chain.Rewards.RoleWeightsAtAsync(epoch);
        clock.Restart();
        var allocation = RewardAllocator.Allocate(pool, weights, units.Concat(PaymentBacking.Credit(work, backing).Units));
        var tree = new RewardMerkleTree(allocation.Amounts);
        foreach (var leaf in allocation.Amounts.Keys) tree.Proof(leaf);
        var treeTime = clock.Elapsed;

        await devnet.AdvanceTimeAsync(TimeSpan.FromSeconds(BenchDevnet.EpochSeconds));
        clock.Restart();
        var closed = await closer.CloseAsync(epoch, CancellationToken.None);
        var close = clock.Elapsed;

        var postReceipt = (await chain.Rpc.GetTransactionReceiptAsync(closed.TransactionHash!))!;
        // The deepest proof: the worst-case claim.
        var reward = (await store.RewardsAsync(epoch, CancellationToken.None)).MaxBy(r => r.Proof.Count)!;
        var proof = reward.Proof.Select(p => Peerz.Chain.Primitives.Hex.Decode(p, 32)).ToArray();
        var claim = await chain.Rewards.ClaimAsync(epoch, Address.Parse(reward.Account), reward.Role, reward.Amount, proof);
        return new Result(record, close, treeTime, postReceipt.GasUsed, claim.GasUsed, proof.Length);
    }

    private static byte[] RandomKey(Random random)
    {
        var key = new byte[32];
        random.NextBytes(key);
        return key;
    }

    private sealed record Result(TimeSpan Record, TimeSpan Close, TimeSpan Tree, BigInteger PostGas, BigInteger ClaimGas, int ProofDepth);

    private sealed class BenchDevnet : PeerzDevnet
    {
        public const int EpochSeconds = 3600;

        protected override IReadOnlyDictionary<string, object> DeployOptions { get; } = new Dictionary<string, object>
        {
            ["epochLength"] = EpochSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["rootChallengePeriod"] = "0",
        };

        public async Task<EthKey> NewProviderAsync()
        {
            var provider = await NewFundedAccountAsync();
            var signer = EthKey.Generate();
            var stake = await Registry().MinStakeAsync();
            await Token(provider).ApproveAsync(Deployment.Registry, stake);
            await Registry(provider).StakeAsync(stake, signer.Address, [1], BigInteger.One, SignerBinding.Prove(signer, Deployment.ChainId, Deployment.Registry, provider.Address));
            return provider;
        }

        public async Task PayAsync(EthKey client, EthKey provider, BigInteger amount)
        {
            await Token(client).ApproveAsync(Deployment.Escrow, amount);
            await Escrow(client).DepositAsync(amount);
            await Escrow(client).ReserveAsync(provider.Address, amount);
            var voucher = new Voucher(client.Address, provider.Address, amount, 1);
            await Escrow(provider).RedeemAsync(voucher, voucher.Sign(client, Deployment.ChainId, Deployment.Escrow));
        }
    }
}
