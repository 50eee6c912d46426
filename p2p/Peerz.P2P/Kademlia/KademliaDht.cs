using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Peerz.P2P.Kademlia.Lookup;
using Peerz.P2P.Kademlia.Records;
using Peerz.P2P.Kademlia.Routing;
using Peerz.P2P.Kademlia.Wire;

namespace Peerz.P2P.Kademlia;

/// <summary>
/// A Kademlia DHT node speaking the libp2p kad-dht wire protocol under a configurable protocol id:
/// peer routing, signed values (PUT/GET_VALUE) and provider records, with k-bucket liveness checks,
/// bounded stores and periodic republishing of what this node published.
/// </summary>
public sealed class KademliaDht : IAsyncDisposable
{
    private readonly IDhtNetwork _network;
    private readonly KademliaOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly RecordValidatorRegistry _validators;
    private readonly DhtRequestHandler _handler;
    private readonly IterativeLookup _lookup;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<KadKey, bool> _livenessChecks = new();
    private readonly ConcurrentDictionary<string, byte[]> _providedKeys = new(StringComparer.Ordinal);
    private readonly Libp2pHost? _host;
    private Task _republishLoop = Task.CompletedTask;

    /// <summary>A DHT node on a libp2p host (the host must be started to be reachable).</summary>
    public KademliaDht(Libp2pHost host, KademliaOptions options, ILogger logger)
        : this(new Libp2pDhtNetwork(host), options, logger)
    {
        // As js-libp2p does: a peer whose identify lists our DHT protocol is a routing table candidate.
        _host = host;
        host.PeerIdentified += OnPeerIdentified;
    }

    public KademliaDht(IDhtNetwork network, KademliaOptions options, ILogger logger, TimeProvider? time = null)
    {
        _network = network;
        _options = options;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        _validators = options.Validators(_time);
        RoutingTable = new RoutingTable(network.LocalPeerId, options.K, _time);
        Records = new RecordStore(_validators, _time, options.RecordTtl, options.MaxRecords);
        Providers = new ProviderStore(_time, options.RecordTtl, options.MaxProviderKeys, options.MaxProvidersPerKey);
        _handler = new DhtRequestHandler(network, options, RoutingTable, Records, Providers, OfferPeer, logger);
        _lookup = new IterativeLookup(options.K, options.Alpha, options.DisjointPaths, logger);
    }

    public RoutingTable RoutingTable { get; }
    public RecordStore Records { get; }
    public ProviderStore Providers { get; }
    public byte[] LocalPeerId => _network.LocalPeerId;

    public Task StartAsync(CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        _network.SetStreamHandler(_options.ProtocolId, (peer, stream, token) => _handler.HandleStreamAsync(peer, stream, token));
        _republishLoop = RepublishLoopAsync(_stopping.Token);
        return Task.CompletedTask;
    }

    /// <summary>Dials the bootstrap peers, asks each for our neighbourhood, then looks ourselves up to fill the buckets.</summary>
    /// <returns>Peers in the routing table afterwards.</returns>
    public async Task<int> BootstrapAsync(IEnumerable<byte[]> multiaddrs, CancellationToken ct)
    {
        await Task.WhenAll(multiaddrs.Select(async addr =>
        {
            try
            {
                var peer = await _network.ConnectAsync(addr, ct).ConfigureAwait(false);
                _network.AddAddresses(peer, [addr]);
                await SendRequestAsync(peer, new DhtMessage(DhtMessageType.FindNode, LocalPeerId), ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                _logger.LogWarning(e, "DHT bootstrap peer {Address} failed: {Error}", Convert.ToHexString(addr), e.Message);
            }
        })).ConfigureAwait(false);
        await GetClosestPeersAsync(LocalPeerId, ct).ConfigureAwait(false);
        return RoutingTable.Count;
    }

    /// <summary>Bootstraps from multiaddrs; a /p2p/ component makes the host check that the expected peer answered.</summary>
    public Task<int> BootstrapAsync(IEnumerable<Multiaddr> addresses, CancellationToken ct) =>
        BootstrapAsync(addresses.Select(a => a.ToBytes()), ct);

    /// <summary>Iterative FIND_NODE for <paramref name="key"/>: the k closest live peers.</summary>
    public Task<LookupResult> GetClosestPeersAsync(byte[] key, CancellationToken ct) =>
        RunLookupAsync(key, DhtMessageType.FindNode, _ => false, ct);

    /// <summary>Finds a peer's addresses; null when the lookup ends without meeting it.</summary>
    public async Task<(DhtPeerInfo? Peer, LookupResult? Lookup)> FindPeerAsync(byte[] peerId, CancellationToken ct)
    {
        if (RoutingTable.Contains(peerId) && _network.GetAddresses(peerId) is { Count: > 0 } known)
            return (new DhtPeerInfo(peerId, known), null);
        DhtPeerInfo? found = null;
        var lookup = await RunLookupAsync(peerId, DhtMessageType.FindNode, response =>
        {
            var match = response.CloserPeers.FirstOrDefault(p => p.Id.AsSpan().SequenceEqual(peerId) && p.Addresses.Count > 0);
            if (match is not null)
                found ??= match;
            return match is not null;
        }, ct).ConfigureAwait(false);
        found ??= lookup.ClosestPeers.FirstOrDefault(p => p.Id.AsSpan().SequenceEqual(peerId));
        return (found, lookup);
    }

    /// <summary>Stores a value locally and on the k peers closest to its key.</summary>
    /// <returns>Peers that accepted the record.</returns>
    /// <exception cref="InvalidRecordException">The value fails its namespace's validator.</exception>
    public async Task<int> PutValueAsync(byte[] key, byte[] value, CancellationToken ct)
    {
        Records.Put(key, value, published: true);
        return await ReplicateAsync(key, value, ct).ConfigureAwait(false);
    }

    public async Task<byte[]?> GetValueAsync(byte[] key, CancellationToken ct) =>
        (await QueryValueAsync(key, ct).ConfigureAwait(false)).Value;

    /// <summary>Collects valid records from the network (until the quorum) and returns the namespace selector's best.</summary>
    public async Task<GetValueResult> QueryValueAsync(byte[] key, CancellationToken ct)
    {
        var values = new List<byte[]>();
        if (Records.Get(key) is { } local)
            values.Add(local.Value);
        if (values.Count >= _options.GetValueQuorum)
            return new GetValueResult(values[0], null);
        var lookup = await RunLookupAsync(key, DhtMessageType.GetValue, response =>
        {
            if (response.Record is not { } record || !record.Key.AsSpan().SequenceEqual(key))
                return false;
            try
            {
                _validators.Validate(key, record.Value);
            }
            catch (InvalidRecordException e)
            {
                _logger.LogDebug("Ignoring invalid record for a GET_VALUE: {Error}", e.Message);
                return false;
            }
            lock (values)
            {
                values.Add(record.Value);
                return values.Count >= _options.GetValueQuorum;
            }
        }, ct).ConfigureAwait(false);
        if (values.Count == 0)
            return new GetValueResult(null, lookup);
        var best = values[_validators.Select(key, values)];
        return new GetValueResult(best, lookup);
    }

    /// <summary>Announces this node as a provider of <paramref name="key"/> to the k closest peers (and keeps re-announcing it).</summary>
    /// <returns>Peers the announcement was sent to.</returns>
    public async Task<int> ProvideAsync(byte[] key, CancellationToken ct)
    {
        _providedKeys[Convert.ToBase64String(key)] = key;
        return await AnnounceProviderAsync(key, ct).ConfigureAwait(false);
    }

    /// <summary>Providers of <paramref name="key"/>, from the local store and a GET_PROVIDERS lookup.</summary>
    public async Task<IReadOnlyList<DhtPeerInfo>> FindProvidersAsync(byte[] key, int count, CancellationToken ct)
    {
        var found = new ConcurrentDictionary<string, DhtPeerInfo>(StringComparer.Ordinal);
        foreach (var provider in Providers.Get(key))
            found.TryAdd(Convert.ToBase64String(provider.Id), provider);
        if (found.Count < count)
        {
            await RunLookupAsync(key, DhtMessageType.GetProviders, response =>
            {
                foreach (var provider in response.ProviderPeers)
                    found.TryAdd(Convert.ToBase64String(provider.Id), provider);
                return found.Count >= count;
            }, ct).ConfigureAwait(false);
        }
        return found.Values.Take(count).ToList();
    }

    public async ValueTask DisposeAsync()
    {
        if (_host is not null)
            _host.PeerIdentified -= OnPeerIdentified;
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _republishLoop.ConfigureAwait(false);
        _stopping.Dispose();
    }

    private async Task<LookupResult> RunLookupAsync(byte[] key, DhtMessageType type, Func<DhtMessage, bool> stopWhen, CancellationToken ct)
    {
        var seeds = RoutingTable.NearestPeers(KadKey.FromKey(key), _options.K)
            .Select(e => new DhtPeerInfo(e.PeerId, _network.GetAddresses(e.PeerId)))
            .ToList();
        return await _lookup.RunAsync(key, seeds, LocalPeerId, async (peer, token) =>
        {
            var response = await SendRequestAsync(peer.Id, new DhtMessage(type, key), token).ConfigureAwait(false)
                ?? throw new DhtProtocolException($"no response to {type}");
            return new LookupResponse(response.CloserPeers, stopWhen(response));
        }, ct).ConfigureAwait(false);
    }

    private async Task<int> ReplicateAsync(byte[] key, byte[] value, CancellationToken ct)
    {
        var closest = await GetClosestPeersAsync(key, ct).ConfigureAwait(false);
        var request = new DhtMessage(DhtMessageType.PutValue, key, new DhtRecord(key, value, _time.GetUtcNow().ToString("O")));
        var results = await Task.WhenAll(closest.ClosestPeers.Select(p => TrySendAsync(p.Id, request, ct))).ConfigureAwait(false);
        return results.Count(ok => ok);
    }

    private async Task<int> AnnounceProviderAsync(byte[] key, CancellationToken ct)
    {
        var self = new DhtPeerInfo(LocalPeerId, _network.LocalAddresses);
        Providers.Add(key, self);
        var closest = await GetClosestPeersAsync(key, ct).ConfigureAwait(false);
        var request = new DhtMessage(DhtMessageType.AddProvider, key, ProviderPeers: [self]);
        var results = await Task.WhenAll(closest.ClosestPeers.Select(p => TrySendAsync(p.Id, request, ct))).ConfigureAwait(false);
        return results.Count(ok => ok);
    }

    private async Task<bool> TrySendAsync(byte[] peer, DhtMessage request, CancellationToken ct)
    {
        try
        {
            await SendRequestAsync(peer, request, ct).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            _logger.LogDebug(e, "DHT {Type} to {Peer} failed: {Error}", request.Type, Convert.ToHexString(peer), e.Message);
            return false;
        }
    }

    /// <summary>
    /// One request on a fresh stream. A peer that answers joins the routing table; one that fails is
    /// dropped from it (unless our own caller cancelled). ADD_PROVIDER has no response.
    /// </summary>
    private async Task<DhtMessage?> SendRequestAsync(byte[] peer, DhtMessage request, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_options.RequestTimeout);
        try
        {
            var stream = await _network.OpenStreamAsync(peer, _options.ProtocolId, timeout.Token).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                await DhtMessageFraming.WriteAsync(stream, request, _options.MaxMessageSize, timeout.Token).ConfigureAwait(false);
                if (request.Type == DhtMessageType.AddProvider)
                    return null;
                var response = await DhtMessageFraming.ReadAsync(stream, _options.MaxMessageSize, timeout.Token).ConfigureAwait(false)
                    ?? throw new DhtProtocolException($"peer closed the stream without answering {request.Type}");
                if (response.Type != request.Type)
                    throw new DhtProtocolException($"peer answered {request.Type} with {response.Type}");
                OfferPeer(peer);
                foreach (var info in response.CloserPeers.Concat(response.ProviderPeers))
                {
                    if (info.Addresses.Count > 0 && !info.Id.AsSpan().SequenceEqual(LocalPeerId))
                        _network.AddAddresses(info.Id, info.Addresses);
                }
                return response;
            }
        }
        catch (Exception) when (!ct.IsCancellationRequested)
        {
            RoutingTable.Remove(peer);
            throw;
        }
    }

    private void OnPeerIdentified(object? sender, PeerIdentifiedEventArgs e)
    {
        if (e.Info.Protocols.Contains(_options.ProtocolId))
            OfferPeer(e.Peer.ToBytes());
    }

    /// <summary>Adds a peer that speaks the DHT; a full bucket keeps its oldest peer if it still answers a PING.</summary>
    private void OfferPeer(byte[] peer)
    {
        if (_stopping.IsCancellationRequested)
            return;
        var result = RoutingTable.TryAdd(peer);
        if (result is { Outcome: RoutingAddOutcome.BucketFull, LeastRecentlySeen: { } oldest } && _livenessChecks.TryAdd(oldest.Key, true))
            _ = CheckLivenessAsync(oldest, peer);
    }

    private async Task CheckLivenessAsync(RoutingEntry oldest, byte[] candidate)
    {
        try
        {
            await SendRequestAsync(oldest.PeerId, new DhtMessage(DhtMessageType.Ping, []), _stopping.Token).ConfigureAwait(false);
            RoutingTable.MarkSeen(oldest.PeerId);
        }
        catch (Exception e) when (!_stopping.IsCancellationRequested)
        {
            _logger.LogDebug(e, "Evicting unresponsive DHT peer {Peer}: {Error}", Convert.ToHexString(oldest.PeerId), e.Message);
            RoutingTable.Replace(oldest.PeerId, candidate);
        }
        catch (OperationCanceledException)
        {
            // Shutting down.
        }
        finally
        {
            _livenessChecks.TryRemove(oldest.Key, out _);
        }
    }

    private async Task RepublishLoopAsync(CancellationToken ct)
    {
        try
        {
            using var timer = new PeriodicTimer(_options.RepublishInterval, _time);
            while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
                await RepublishAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Disposed.
        }
    }

    /// <summary>Pushes our still-valid records and provider entries to the current k closest peers, and refreshes our neighbourhood.</summary>
    internal async Task RepublishAsync(CancellationToken ct)
    {
        Records.PurgeExpired();
        foreach (var record in Records.Published())
        {
            try
            {
                _validators.Validate(record.Key, record.Value);
                Records.Put(record.Key, record.Value, published: true);
                await ReplicateAsync(record.Key, record.Value, ct).ConfigureAwait(false);
            }
            catch (InvalidRecordException e)
            {
                _logger.LogInformation("Not republishing a record that is no longer valid: {Error}", e.Message);
            }
        }
        foreach (var key in _providedKeys.Values)
            await AnnounceProviderAsync(key, ct).ConfigureAwait(false);
        await GetClosestPeersAsync(LocalPeerId, ct).ConfigureAwait(false);
    }
}
