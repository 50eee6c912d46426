using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Peerz.Chain.Contracts;
using Peerz.Chain.Crypto;
using Peerz.Discovery;
using Peerz.Protocol.Framing;
using Peerz.Protocol.Wire;

namespace Peerz.Verifier.Providers;

/// <summary>
/// Finds the provider a receipt names from the chain, never from what peers announce: the peer id is
/// <c>ProviderRegistry.getProvider(receipt.provider).peerId</c>; the DHT only says where that peer listens (the
/// announcement is looked up by peer id; its self-declared account, dtype or quantization are ignored). The
/// retention window comes from that peer's /peerz/info. Results are cached for <paramref name="ttl"/> (one registry read,
/// one directory listing and one info request per provider per TTL, not per report).
/// </summary>
public sealed class ProviderResolver(ProviderRegistry registry, IProviderDirectory directory, IProviderConnector connector, string modelId, TimeSpan ttl, TimeProvider time,
    ILogger<ProviderResolver> logger)
{
    /// <summary>The window providers keep payloads for when their info does not say (the provider's default).</summary>
    public static readonly TimeSpan DefaultRetention = TimeSpan.FromHours(1);

    /// <summary>How long one lookup (chain read, DHT listing, info request) may take before it fails for every caller waiting on it.</summary>
    public static readonly TimeSpan LookupTimeout = TimeSpan.FromSeconds(60);

    private const string InfoProtocolId = "/peerz/info/1.0.0";
    private const int MaxInfoBytes = 64 * 1024;
    private static readonly TimeSpan InfoTimeout = TimeSpan.FromSeconds(5);

    private readonly ConcurrentDictionary<Address, (RegisteredProvider? Provider, DateTimeOffset ReadAt)> _providers = new();
    private readonly ConcurrentDictionary<Address, Lazy<Task<RegisteredProvider?>>> _lookups = new();
    private readonly SemaphoreSlim _listingLock = new(1, 1);
    private (IReadOnlyList<ProviderRecord> Records, DateTimeOffset ReadAt)? _listing;

    /// <summary>The registered provider, or null when the account has no peer id on chain (then its receipts are not evidence).</summary>
    /// <remarks>
    /// One lookup per account at a time, bounded by its own deadline (<see cref="LookupTimeout"/>), not by the caller's
    /// token: a caller that gives up stops waiting but does not cancel the lookup, which then serves every later
    /// report from the cache. (Cancelled with the caller, a lookup slower than reporters wait never finished: on a
    /// loaded machine the chaos soak's verifier took no report for minutes and missed a cheater.)
    /// </remarks>
    public async Task<RegisteredProvider?> ResolveAsync(Address account, CancellationToken cancellationToken)
    {
        if (_providers.TryGetValue(account, out var cached) && time.GetUtcNow() - cached.ReadAt < ttl) return cached.Provider;
        var lookup = _lookups.GetOrAdd(account, a => new Lazy<Task<RegisteredProvider?>>(() => LookUpAsync(a)));
        return await lookup.Value.WaitAsync(cancellationToken);
    }

    private async Task<RegisteredProvider?> LookUpAsync(Address account)
    {
        try
        {
            using var deadline = new CancellationTokenSource(LookupTimeout, time);
            var provider = await LoadAsync(account, deadline.Token);
            _providers[account] = (provider, time.GetUtcNow());
            return provider;
        }
        finally
        {
            _lookups.TryRemove(account, out _);
        }
    }

    private async Task<RegisteredProvider?> LoadAsync(Address account, CancellationToken cancellationToken)
    {
        var info = await registry.GetProviderAsync(account, cancellationToken);
        if (info.PeerId.Length == 0) return null;
        string peerId;
        try
        {
            peerId = P2P.PeerId.FromBytes(info.PeerId).ToString();
        }
        catch (FormatException)
        {
            return null;
        }
        // The announcement stored under this peer id (signed by it) gives its addresses; nothing else in it is trusted.
        var announced = (await ListingAsync(cancellationToken)).FirstOrDefault(r => r.PeerId == peerId);
        var record = new ProviderRecord { PeerId = peerId, ModelId = modelId, Start = announced?.Start ?? 0, End = announced?.End ?? 0, Addresses = announced?.Addresses ?? [] };
        return new RegisteredProvider(account, peerId, record, await RetentionAsync(record, cancellationToken));
    }

    private async Task<IReadOnlyList<ProviderRecord>> ListingAsync(CancellationToken cancellationToken)
    {
        await _listingLock.WaitAsync(cancellationToken);
        try
        {
            var now = time.GetUtcNow();
            if (_listing is { } listing && now - listing.ReadAt < ttl) return listing.Records;
            var records = await directory.GetProvidersAsync(modelId, cancellationToken);
            _listing = (records, now);
            return records;
        }
        finally
        {
            _listingLock.Release();
        }
    }

    private async Task<TimeSpan> RetentionAsync(ProviderRecord record, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(InfoTimeout);
        try
        {
            await using var stream = await connector.OpenStreamAsync(record, InfoProtocolId, deadline.Token);
            await DelimitedMessages.WriteAsync(stream, new InfoRequest(), deadline.Token);
            var info = await DelimitedMessages.ReadAsync(stream, ServerInfo.Parser, MaxInfoBytes, deadline.Token);
            return info is { PayloadRetentionSeconds: > 0 } ? TimeSpan.FromSeconds(info.PayloadRetentionSeconds) : DefaultRetention;
        }
        catch (Exception e) when (e is IOException or ProtocolViolationException or InvalidOperationException or System.Net.Sockets.SocketException
            or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            logger.LogInformation("no info from {Peer} ({Error}); assuming a retention of {Hours} h", record.PeerId, e.Message, DefaultRetention.TotalHours);
            return DefaultRetention;
        }
    }
}
