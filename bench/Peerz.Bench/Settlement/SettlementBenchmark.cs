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
/// Settles one epoch of 10,000 accounts beside a 100-account baseline in the same run, on Hardhat's node:
/// recording contributions in SQLite, the epoch close (units query, allocation, Merkle tree, proofs, store,
/// postRoot, proofs file), and the gas of postRoot and of one claim.
/// </summary>
internal static class SettlementBenchmark
{
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
            var closer = new EpochCloser(chain, store, Path.Combine(directory, "epochs"), NullLogger<EpochCloser>.Instance);

            // Warm-up (JIT, SQLite, node) with a small epoch that is not reported.
            await SettleAsync(devnet, chain, store, closer, 10);

            Console.WriteLine("| accounts | record contributions | close epoch (total) | of which allocation + tree + proofs | postRoot gas | claim gas (proof depth) |");
            Console.WriteLine("|---|---|---|---|---|---|");
            foreach (var size in sizes)
            {
                var r = await SettleAsync(devnet, chain, store, closer, size);
                Console.WriteLine($"| {size:N0} | {r.Record.TotalSeconds:F2} s ({size / r.Record.TotalSeconds:F0} /s) | {r.Close.TotalSeconds:F2} s | {r.Tree.TotalMilliseconds:F0} ms | {r.PostGas:N0} | {r.ClaimGas:N0} ({r.ProofDepth}) |");
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
        var keys = Enumerable.Range(0, accounts).Select(_ => EthKey.Generate().Address).ToArray();
        var clock = Stopwatch.StartNew();
        foreach (var account in keys)
        {
            var key = new byte[32];
            random.NextBytes(key);
            await store.AddContributionAsync(new Contribution(key, epoch, account, (ContributionRole)random.Next(4), random.Next(1, 100_000)), CancellationToken.None);
        }

        var record = clock.Elapsed;

        // The pure part of a close, timed on its own: allocation, tree and every proof.
        var units = await store.UnitsAsync(epoch, CancellationToken.None);
        clock.Restart();
        var allocation = RewardAllocator.Allocate(await chain.Rewards.EpochPoolAsync(epoch), await chain.Rewards.RoleWeightsAtAsync(epoch), units);
        var tree = new RewardMerkleTree(allocation.Amounts);
        foreach (var account in allocation.Amounts.Keys) tree.Proof(account);
        var treeTime = clock.Elapsed;

        await devnet.AdvanceTimeAsync(TimeSpan.FromSeconds(BenchDevnet.EpochSeconds));
        clock.Restart();
        var closed = await closer.CloseAsync(epoch, CancellationToken.None);
        var close = clock.Elapsed;

        var postReceipt = (await chain.Rpc.GetTransactionReceiptAsync(closed.TransactionHash!))!;
        // The deepest proof: the worst-case claim.
        var reward = (await store.RewardsAsync(epoch, CancellationToken.None)).MaxBy(r => r.Proof.Count)!;
        var proof = reward.Proof.Select(p => Peerz.Chain.Primitives.Hex.Decode(p, 32)).ToArray();
        var claim = await chain.Rewards.ClaimAsync(epoch, Address.Parse(reward.Account), reward.Amount, proof);
        return new Result(record, close, treeTime, postReceipt.GasUsed, claim.GasUsed, proof.Length);
    }

    private sealed record Result(TimeSpan Record, TimeSpan Close, TimeSpan Tree, BigInteger PostGas, BigInteger ClaimGas, int ProofDepth);

    private sealed class BenchDevnet : PeerzDevnet
    {
        public const int EpochSeconds = 3600;

        protected override IReadOnlyDictionary<string, object> DeployOptions { get; } = new Dictionary<string, object> { ["epochLength"] = EpochSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture) };
    }
}
