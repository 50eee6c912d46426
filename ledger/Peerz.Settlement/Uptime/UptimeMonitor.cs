using System.Buffers.Binary;
using Microsoft.Extensions.Logging;
using Peerz.Chain.Contracts;
using Peerz.Chain.Crypto;
using Peerz.P2P;
using Peerz.Settlement.Contributions;
using Peerz.Settlement.Storage;

namespace Peerz.Settlement.Uptime;

/// <summary>
/// Measures routing/bootstrap uptime: every interval it dials each configured peer (Noise checks its peer id) and
/// sends one /ipfs/ping/1.0.0; each answered sample is one routing unit for the peer's account in the current
/// epoch. Samples are keyed by (account, peer, interval slot), so a restart within a slot cannot count twice.
/// </summary>
public sealed class UptimeMonitor(Libp2pHost host, SettlementChain chain, SettlementStore store, SettlementOptions options, TimeProvider time, ILogger<UptimeMonitor> logger)
{
    private static readonly byte[] KeyPrefix = "peerz.uptime:"u8.ToArray();

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        if (options.BootstrapPeers.Count == 0) return;
        using var timer = new PeriodicTimer(options.UptimeInterval, time);
        do
        {
            await SampleOnceAsync(cancellationToken).ConfigureAwait(false);
        }
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Pings every peer once; returns how many answered.</summary>
    public async Task<int> SampleOnceAsync(CancellationToken cancellationToken)
    {
        var slot = time.GetUtcNow().ToUnixTimeSeconds() / (long)Math.Max(1, options.UptimeInterval.TotalSeconds);
        var epoch = await chain.CurrentEpochAsync(cancellationToken).ConfigureAwait(false);
        var answered = 0;
        foreach (var peer in options.BootstrapPeers)
        {
            if (!await PingAsync(peer, cancellationToken).ConfigureAwait(false)) continue;
            answered++;
            try
            {
                await store.AddContributionAsync(new Contribution(Key(peer, slot), epoch, peer.Account, RewardRole.Routing, 1), cancellationToken).ConfigureAwait(false);
            }
            catch (IntakeException e)
            {
                logger.LogWarning("Uptime sample of {Peer} not recorded: {Reason}", peer.Address, e.Message);
            }
        }

        return answered;
    }

    private async Task<bool> PingAsync(BootstrapPeer peer, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.PingTimeout);
        try
        {
            var id = await host.ConnectAsync(peer.Address, timeout.Token).ConfigureAwait(false);
            var rtt = await host.PingAsync(id, timeout.Token).ConfigureAwait(false);
            logger.LogDebug("Uptime: {Peer} answered in {Rtt} ms", peer.Address, rtt.TotalMilliseconds);
            return true;
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is not OutOfMemoryException)
        {
            // Any failure to dial, handshake or echo is downtime; the sample simply does not count.
            logger.LogInformation(e, "Uptime: {Peer} did not answer: {Reason}", peer.Address, e.Message);
            return false;
        }
    }

    private static byte[] Key(BootstrapPeer peer, long slot)
    {
        var peerBytes = peer.Address.PeerId!.ToBytes();
        var buffer = new byte[KeyPrefix.Length + Address.Length + peerBytes.Length + 8];
        KeyPrefix.CopyTo(buffer, 0);
        peer.Account.Bytes.CopyTo(buffer.AsSpan(KeyPrefix.Length));
        peerBytes.CopyTo(buffer, KeyPrefix.Length + Address.Length);
        BinaryPrimitives.WriteInt64BigEndian(buffer.AsSpan(buffer.Length - 8), slot);
        return Keccak.Hash(buffer);
    }
}
