using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Peerz.P2P;
using Peerz.P2P.Dcutr;
using Peerz.P2P.Kademlia;
using Peerz.P2P.Relay;
using Peerz.Protocol.Swarm;
using Peerz.Protocol.Wire;

namespace Peerz.Discovery;

/// <summary>
/// The client's view of the swarm: its own libp2p host and DHT node (it does not announce
/// anything), provider discovery through signed announcements, streams to providers, and
/// measured round-trip times for routing. Providers behind NATs are dialled through their /p2p-circuit addresses
/// (circuit relay v2) and upgraded to direct connections by hole punching (DCUtR) where the NATs allow it; a
/// provider still reached through a relay costs <see cref="SwarmClientOptions.RelayedHopPenalty"/> more in routing.
/// </summary>
public sealed class SwarmClient : IProviderDirectory, IProviderConnector, ISwarmSurvey, IAsyncDisposable
{
    private static readonly TimeSpan UnmeasuredRoundTrip = TimeSpan.FromMilliseconds(50);

    private readonly Libp2pHost _host;
    private readonly KademliaDht _dht;
    private readonly CircuitRelayClient _relayClient;
    private readonly HolePuncher _holePuncher;
    private readonly SwarmClientOptions _options;
    private readonly IReadOnlyList<Multiaddr> _bootstrap;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, TimeSpan> _roundTrips = new();
    private readonly ConcurrentDictionary<PeerId, TaskCompletionSource<HolePunchResult>> _holePunches = new();

    public SwarmClient(IReadOnlyList<Multiaddr> bootstrap, ILoggerFactory loggerFactory, Identity? identity = null, string kademliaProtocolId = "/peerz/kad/1.0.0",
        SwarmClientOptions? options = null)
    {
        _bootstrap = bootstrap;
        _options = options ?? new SwarmClientOptions();
        _logger = loggerFactory.CreateLogger<SwarmClient>();
        _host = new Libp2pHost(new Libp2pHostOptions { Identity = identity ?? Identity.Generate(), ListenAddresses = [.. _options.ListenAddresses] }, loggerFactory);
        _dht = new KademliaDht(_host, new KademliaOptions { ProtocolId = kademliaProtocolId }, loggerFactory.CreateLogger<KademliaDht>());
        _relayClient = new CircuitRelayClient(_host, _options.RelayClientOptions);
        _holePuncher = new HolePuncher(_host, _options.HolePuncherOptions);
        _holePuncher.Completed += (_, result) => HolePunchWith(result.Peer).TrySetResult(result);
    }

    public PeerId PeerId => _host.PeerId;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await _host.StartAsync(cancellationToken);
        await _dht.StartAsync(cancellationToken);
        var reached = await _dht.BootstrapAsync(_bootstrap, cancellationToken);
        if (reached == 0)
            throw new SwarmUnreachableException($"none of the {_bootstrap.Count} bootstrap peers answered ({string.Join(", ", _bootstrap)})");
    }

    /// <summary>Providers of the model with a valid, online announcement; each is pinged for routing.</summary>
    public async Task<IReadOnlyList<ProviderRecord>> GetProvidersAsync(string modelId, CancellationToken cancellationToken)
    {
        var found = await _dht.FindProvidersAsync(SwarmKeys.Model(modelId), 64, cancellationToken);
        var records = await Task.WhenAll(found.Select(peer => ReadAnnouncementAsync(PeerId.FromBytes(peer.Id), modelId, cancellationToken)));
        return records.OfType<ProviderRecord>().ToList();
    }

    private async Task<ProviderRecord?> ReadAnnouncementAsync(PeerId peer, string modelId, CancellationToken cancellationToken)
    {
        try
        {
            var record = await ReadRecordAsync(peer, modelId, cancellationToken);
            if (record is not { State: ServerState.Online }) return null;
            await ReachAsync(peer, cancellationToken);
            return record;
        }
        catch (Exception e) when (e is IOException or TimeoutException or FormatException or InvalidOperationException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            _logger.LogInformation("provider {Peer} is unreachable: {Error}", peer, e.Message);
            return null;
        }
    }

    /// <summary>
    /// Pings the provider (dialling it if needed) and, when it was reached through a relay, waits for hole punching. A
    /// connection that breaks meanwhile (a relay or a NAT dropping it) gets <see cref="SwarmClientOptions.ReachAttempts"/>
    /// attempts in all, each dialled afresh, before the provider counts as unreachable: on the internet a dropped
    /// connection says little about the provider, and one lost at the first plan used to fail the whole generation.
    /// </summary>
    private async Task ReachAsync(PeerId peer, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                _roundTrips[peer.ToString()] = await _host.PingAsync(peer, cancellationToken);
                if (await AwaitHolePunchAsync(peer, cancellationToken))
                    _roundTrips[peer.ToString()] = await _host.PingAsync(peer, cancellationToken);
                return;
            }
            catch (IOException e) when (attempt < _options.ReachAttempts)
            {
                _logger.LogInformation("connection to provider {Peer} broke while reaching it ({Error}); dialling again ({Attempt} of {Attempts})", peer, e.Message, attempt + 1,
                    _options.ReachAttempts);
                // A new relayed connection starts a new hole punch; the outcome of the broken one's says nothing about it.
                _holePunches.TryRemove(peer, out _);
            }
        }
    }

    /// <summary>
    /// Every valid announcement for the model, whatever its state, without contacting the providers: a provider that
    /// died keeps its record until it expires, so this is what the swarm claims, not what answers (see <see cref="PingAsync"/>).
    /// </summary>
    public async Task<IReadOnlyList<ProviderRecord>> AnnouncedAsync(string modelId, CancellationToken cancellationToken)
    {
        var found = await _dht.FindProvidersAsync(SwarmKeys.Model(modelId), 64, cancellationToken);
        var records = await Task.WhenAll(found.Select(async peer =>
        {
            try
            {
                return await ReadRecordAsync(PeerId.FromBytes(peer.Id), modelId, cancellationToken);
            }
            catch (Exception e) when (e is IOException or TimeoutException or FormatException or InvalidOperationException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                return null;
            }
        }));
        return records.OfType<ProviderRecord>().ToList();
    }

    public async Task<IReadOnlyList<ProviderRecord>> SampleAnnouncementsAsync(CancellationToken cancellationToken)
    {
        var walk = await _dht.GetClosestPeersAsync(RandomNumberGenerator.GetBytes(32), cancellationToken);
        var records = await Task.WhenAll(walk.ClosestPeers.Select(async peer =>
        {
            try
            {
                return await ReadRecordAsync(PeerId.FromBytes(peer.Id), null, cancellationToken);
            }
            catch (Exception e) when (e is IOException or TimeoutException or FormatException or InvalidOperationException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                return null;
            }
        }));
        return records.OfType<ProviderRecord>().ToList();
    }

    /// <summary>One libp2p ping (dialling the provider if needed); the caller bounds it with its token.</summary>
    public async Task<TimeSpan> PingAsync(string peerId, CancellationToken cancellationToken)
    {
        var roundTrip = await _host.PingAsync(PeerId.Parse(peerId), cancellationToken);
        _roundTrips[peerId] = roundTrip;
        return roundTrip;
    }

    /// <summary>The peer's valid announcement, if it serves <paramref name="modelId"/> (any model when null).</summary>
    private async Task<ProviderRecord?> ReadRecordAsync(PeerId peer, string? modelId, CancellationToken cancellationToken)
    {
        var value = await _dht.GetValueAsync(SwarmKeys.Server(peer), cancellationToken);
        var announcement = value is null ? null : ServerRecords.Read(peer, value, DateTimeOffset.UtcNow);
        if (announcement?.Info is not { } info || (modelId is not null && info.ModelId != modelId)) return null;
        _host.AddAddresses(peer, announcement.Addresses.Select(Multiaddr.Parse));
        return new ProviderRecord
        {
            PeerId = peer.ToString(),
            ModelId = info.ModelId,
            Start = (int)info.BlockStart,
            End = (int)info.BlockEnd,
            ModelBlocks = (int)Math.Min(info.ModelBlocks, int.MaxValue),
            Throughput = info.Throughput,
            State = info.State,
            FreeCacheBytes = info.FreeCacheBytes,
            PricePerToken = info.PricePerToken,
            Addresses = announcement.Addresses,
            Account = info.Account,
            DType = info.Dtype,
            Quantization = info.Quantization,
            Reachability = info.Reachability,
        };
    }

    /// <summary>
    /// A provider behind a NAT starts hole punching as soon as we reach it through a relay; wait (bounded) for the
    /// outcome, so sessions open on the connection that lasts. True when a direct connection replaced the relayed one.
    /// </summary>
    private async Task<bool> AwaitHolePunchAsync(PeerId peer, CancellationToken cancellationToken)
    {
        if (_options.ListenAddresses.Count == 0 || _host.GetConnectionAddress(peer) is not { IsCircuit: true }) return false;
        try
        {
            var result = await HolePunchWith(peer).Task.WaitAsync(_options.HolePunchWait, cancellationToken);
            _logger.LogInformation("hole punch with {Peer}: {Outcome}", peer, result.Succeeded ? $"direct at {result.DirectAddress}" : $"failed ({result.Error}); staying on the relay");
            return result.Succeeded;
        }
        catch (TimeoutException)
        {
            _logger.LogInformation("no hole punch with {Peer} within {Wait}; staying on the relay", peer, _options.HolePunchWait);
            return false;
        }
    }

    private TaskCompletionSource<HolePunchResult> HolePunchWith(PeerId peer) =>
        _holePunches.GetOrAdd(peer, _ => new TaskCompletionSource<HolePunchResult>(TaskCreationOptions.RunContinuationsAsynchronously));

    public async Task<Stream> OpenStreamAsync(ProviderRecord provider, string protocolId, CancellationToken cancellationToken)
    {
        var peer = PeerId.Parse(provider.PeerId);
        _host.AddAddresses(peer, provider.Addresses.Select(Multiaddr.Parse));
        return await _host.OpenStreamAsync(peer, protocolId, cancellationToken);
    }

    /// <summary>Measured round trip to a provider, plus the relayed-hop penalty while the connection to it goes through a relay.</summary>
    public TimeSpan RoundTrip(string peerId)
    {
        var measured = _roundTrips.GetValueOrDefault(peerId, UnmeasuredRoundTrip);
        return IsRelayed(peerId) ? measured + _options.RelayedHopPenalty : measured;
    }

    /// <summary>The last ping round trip measured to a provider, without routing's default or relay penalty; null before any.</summary>
    public TimeSpan? MeasuredRoundTrip(string peerId) => _roundTrips.TryGetValue(peerId, out var measured) ? measured : null;

    /// <summary>Whether the connection to a provider goes through a relay now (false when not connected, or direct).</summary>
    public bool IsRelayed(string peerId)
    {
        try
        {
            return _host.GetConnectionAddress(PeerId.Parse(peerId)) is { IsCircuit: true };
        }
        catch (FormatException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _holePuncher.DisposeAsync();
        await _relayClient.DisposeAsync();
        await _dht.DisposeAsync();
        await _host.DisposeAsync();
    }
}

public sealed class SwarmUnreachableException(string message) : Exception(message);
