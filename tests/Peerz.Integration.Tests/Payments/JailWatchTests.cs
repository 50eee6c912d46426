using System.Diagnostics;
using System.Numerics;
using Peerz.Chain.Contracts;
using Peerz.Chain.Crypto;
using Peerz.Client.Payments;
using Peerz.Discovery;
using Peerz.Model;
using Peerz.Model.Checkpoints;
using Peerz.Model.Generation;
using Peerz.Protocol.Payments;
using Peerz.Testing.Chain;
using Xunit.Abstractions;

namespace Peerz.Integration.Tests.Payments;

/// <summary>
/// A client stops paying a provider once the registry jails it, without waiting for its cached registration to expire:
/// two staked providers of the whole model on Hardhat's node; the one a client has been paying is jailed by a slash
/// proposal; once the client's <see cref="JailWatch"/> has read that block, its next generation pays only the other
/// provider (same tokens) and the jailed one is refused, while a cache without a watch still holds the registration.
/// When the slash is withdrawn and the provider unjailed, the watching client accepts it again.
/// </summary>
[Trait("Category", "Chain")]
public sealed class JailWatchTests(TinyModelFixture model, PeerzDevnet devnet, ITestOutputHelper output) : IClassFixture<TinyModelFixture>, IClassFixture<PeerzDevnet>, IAsyncDisposable
{
    private static readonly int[] Prompt = [1, 17, 42, 99];
    private static readonly GenerationOptions Greedy = new() { MaxNewTokens = 6 };
    private static readonly BigInteger Price = 1_000_000_000;
    private static readonly BigInteger Stake = 100 * PeerzDevnet.Prz;
    // Longer than any run of this test: what a cache holds is decided by the watch alone, never by its expiry.
    private static readonly TimeSpan CacheLifetime = TimeSpan.FromMinutes(10);
    private readonly PaidSwarm _swarm = PaidSwarm.InTemporaryDirectory(devnet, "jail-watch");

    public ValueTask DisposeAsync() => _swarm.DisposeAsync();

    [Fact]
    public async Task A_jailed_provider_is_no_longer_paid_once_the_watch_has_seen_its_jailing_and_is_accepted_again_after_its_unjailing()
    {
        using var local = LocalModel.Load(model.Directory);
        var expected = await local.CreateGenerator().GenerateAsync(Prompt, Greedy).ToListAsync();
        using var checkpoint = Checkpoint.Open(model.Directory);
        var keys = new[] { await devnet.NewFundedAccountAsync(), await devnet.NewFundedAccountAsync() };
        var first = await _swarm.StartProviderAsync(checkpoint, 0, 4, keys[0], Price, [], Stake);
        await _swarm.StartProviderAsync(checkpoint, 0, 4, keys[1], Price, first.Node.ListenAddresses, Stake);
        var client = await devnet.NewFundedAccountAsync();
        // Enough for a lane top-up (1 PRZ) to each provider.
        await devnet.Token(client).ApproveAsync(devnet.Deployment.Escrow, 2 * PeerzDevnet.Prz);
        await devnet.Escrow(client).DepositAsync(2 * PeerzDevnet.Prz);
        var (swarm, payments, accounts, watch) = await _swarm.ConnectWatchingClientAsync(client, first.Node.ListenAddresses, CacheLifetime,
            new JailWatchOptions { PollInterval = TimeSpan.FromMilliseconds(200) });

        // The providers one generation paid (its tokens are one process's, whatever the route).
        async Task<List<PaymentRecord>> GenerateAsync()
        {
            var paid = new List<PaymentRecord>();
            payments.Paid += paid.Add;
            try
            {
                Assert.Equal(expected, await new TextGenerator(local.Head, PaidSwarm.Pipeline(swarm, payments, 4)).GenerateAsync(Prompt, Greedy).ToListAsync());
            }
            finally
            {
                payments.Paid -= paid.Add;
            }
            return paid;
        }

        var before = await GenerateAsync();
        var jailedAccount = before.Select(p => p.Provider.Account).Distinct().Single();
        var jailed = new ProviderRecord { PeerId = before[0].PeerId, ModelId = "tiny", Start = 0, End = 4, Account = jailedAccount.ToString() };
        var other = keys.Single(k => k.Address != jailedAccount).Address;
        // A cache like the client's, without a watch, holding the same registration.
        var unwatched = new ProviderAccounts(devnet.Registry(), CacheLifetime, TimeProvider.System);
        await unwatched.ResolveAsync(jailed, CancellationToken.None);

        // The verifier role (the deployer on the devnet) proposes a slash with a receipt the provider signed: it is jailed.
        var receipt = new WorkReceipt(jailedAccount, Address.Zero, WorkIds.NewSession(WorkKind.Inference), 0, WorkIds.Model("tiny"), 0, 4, new byte[32], new byte[32], 1, 1, 0, 0);
        var jailing = await devnet.Registry(devnet.Deployer).ProposeSlashAsync(receipt,
            receipt.Sign(keys.Single(k => k.Address == jailedAccount), devnet.Deployment.ChainId, devnet.Deployment.Registry), SlashFault.WrongOutput, Keccak.Hash("recomputed"), new byte[32]);
        var mined = Stopwatch.GetTimestamp();
        await SeenAsync(watch, jailing.BlockNumber);
        // Reported, not asserted: how long after the jailing transaction's receipt the client stopped trusting its cache.
        output.WriteLine($"the watch (poll {200} ms) applied the jailing {Stopwatch.GetElapsedTime(mined).TotalMilliseconds:F0} ms after its transaction was mined; without it, up to the cache lifetime (30 s in the CLI)");

        var after = await GenerateAsync();
        Assert.NotEmpty(after);
        Assert.All(after, p => Assert.Equal(other, p.Provider.Account));
        Assert.Contains("jailed", (await Assert.ThrowsAsync<PaymentException>(() => accounts.ResolveAsync(jailed, CancellationToken.None))).Message);
        // Without the watch the cached registration still says "active": such a client would sign vouchers to the jailed provider.
        Assert.Equal(jailedAccount, (await unwatched.ResolveAsync(jailed, CancellationToken.None)).Account);

        var unjailing = await devnet.Registry(devnet.Deployer).WithdrawSlashAsync(jailedAccount);
        Assert.False((await devnet.Registry().GetProviderAsync(jailedAccount)).Jailed);
        await SeenAsync(watch, unjailing.BlockNumber);
        Assert.Equal(jailedAccount, (await accounts.ResolveAsync(jailed, CancellationToken.None)).Account);
    }

    /// <summary>Waits (bounded) until the watch has applied the events of <paramref name="block"/>.</summary>
    private static async Task SeenAsync(JailWatch watch, BigInteger block)
    {
        for (var i = 0; i < 300 && watch.LastSeenBlock < block; i++) await Task.Delay(100);
        Assert.True(watch.LastSeenBlock >= block, $"the watch read up to block {watch.LastSeenBlock}, not {block}");
    }
}
