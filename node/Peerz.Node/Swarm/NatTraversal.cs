using System.Net;
using Microsoft.Extensions.Logging;
using Peerz.P2P;
using Peerz.P2P.AutoNat;
using Peerz.P2P.Dcutr;
using Peerz.P2P.Relay;

namespace Peerz.Node.Swarm;

/// <summary>
/// A provider's reachability machinery on its host: AutoNAT (answering others, and asking whether we are public),
/// a relay for others while we are public (<see cref="RelayServiceMode"/>), relay reservations while we are
/// private (AutoRelay over DHT peers), and hole punching (DCUtR) that upgrades relayed connections to direct ones.
/// </summary>
public sealed class NatTraversal : IAsyncDisposable
{
    private readonly Libp2pHost _host;
    private readonly NatTraversalOptions _options;
    private readonly ILogger _logger;
    private readonly AutoNatService _autoNatService;
    private readonly AutoNatClient _autoNat;
    private readonly CircuitRelayClient _relayClient;
    private readonly AutoRelay _autoRelay;
    private readonly HolePuncher _holePuncher;
    private readonly SemaphoreSlim _relayServiceLock = new(1, 1);
    private CircuitRelayService? _relayService;
    private int _disposed;

    public NatTraversal(Libp2pHost host, NatTraversalOptions options, Func<IEnumerable<PeerId>> relayCandidates, ILogger<NatTraversal> logger)
    {
        _host = host;
        _options = options;
        _logger = logger;
        _autoNatService = new AutoNatService(host, options.AutoNatServiceOptions);
        _autoNat = new AutoNatClient(host, options.AutoNatClientOptions);
        _relayClient = new CircuitRelayClient(host, options.RelayClientOptions);
        _autoRelay = new AutoRelay(host, _relayClient, relayCandidates, options.AutoRelayOptions);
        _holePuncher = new HolePuncher(host, options.HolePuncherOptions);
        _relayClient.ReservationLost += (_, reservation) => _logger.LogInformation("relay reservation on {Relay} lost", reservation.Relay);
        _host.ReachabilityChanged += OnReachabilityChanged;
        // Before the host connects to anyone, so the first identify already lists the hop protocol (AutoRelay picks relays by it).
        if (options.RelayService == RelayServiceMode.On) _relayService = new CircuitRelayService(host, options.RelayServiceOptions);
    }

    public Reachability Reachability => _host.Reachability;

    /// <summary>Relays holding a reservation for us now.</summary>
    public IReadOnlyList<RelayReservation> Reservations => _relayClient.Reservations;

    /// <summary>Whether this provider relays for others now.</summary>
    public bool IsRelaying => Volatile.Read(ref _relayService) is not null;

    /// <summary>Starts AutoNAT probing (it needs connected peers: call after joining the DHT) and AutoRelay.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (IsRelaying) _logger.LogInformation("relaying for providers behind NATs (circuit relay v2, --relay-service on)");
        await _autoNat.StartAsync(cancellationToken);
        await _autoRelay.StartAsync(cancellationToken);
    }

    /// <summary>
    /// What to put in the DHT record, best first: --announce-address, then direct addresses when public (circuit
    /// addresses when private, so clients try the relay before addresses they cannot reach), then the rest. Loopback
    /// addresses are dropped unless nothing else is left (a swarm on one machine).
    /// </summary>
    public IReadOnlyList<Multiaddr> AnnouncedAddresses()
    {
        var advertised = _host.AdvertisedAddresses;
        var circuits = advertised.Where(a => a.IsCircuit).ToList();
        var direct = advertised.Where(a => !a.IsCircuit).ToList();
        var ordered = _options.AnnounceAddresses.Concat(Reachability == Reachability.Private ? circuits.Concat(direct) : direct.Concat(circuits)).Distinct().ToList();
        var routable = ordered.Where(a => !IsLoopback(a)).ToList();
        return routable.Count > 0 ? routable : ordered;
    }

    /// <summary>One line for the log: reachability and how peers reach us.</summary>
    public string Describe()
    {
        var reachability = Reachability.ToString().ToLowerInvariant();
        var relays = Reservations.Select(r => r.Relay.ToString()).ToList();
        var through = relays.Count > 0 ? $"reachable through relays {string.Join(", ", relays)}" : "no relay reservation";
        return Reachability switch
        {
            Reachability.Public => $"reachability: public at {string.Join(" ", AnnouncedAddresses().Where(a => !a.IsCircuit))}{(IsRelaying ? "; relaying for others" : "")}",
            Reachability.Private => $"reachability: private; {through}",
            _ => $"reachability: unknown (no AutoNAT answer yet); {through}",
        };
    }

    private void OnReachabilityChanged(object? sender, Reachability reachability)
    {
        _logger.LogInformation("AutoNAT: this provider is {Reachability}", reachability.ToString().ToLowerInvariant());
        if (_options.RelayService == RelayServiceMode.Auto) _ = SetRelayingAsync(reachability == Reachability.Public);
    }

    private async Task SetRelayingAsync(bool relaying)
    {
        await _relayServiceLock.WaitAsync();
        try
        {
            if (Volatile.Read(ref _disposed) == 1 || relaying == (_relayService is not null)) return;
            if (relaying)
            {
                _relayService = new CircuitRelayService(_host, _options.RelayServiceOptions);
                _logger.LogInformation("relaying for providers behind NATs (circuit relay v2)");
            }
            else
            {
                await _relayService!.DisposeAsync();
                _relayService = null;
                _logger.LogInformation("stopped relaying: this provider is not publicly reachable");
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _logger.LogWarning(e, "could not {Action} the relay service: {Error}", relaying ? "start" : "stop", e.Message);
        }
        finally
        {
            _relayServiceLock.Release();
        }
    }

    private static bool IsLoopback(Multiaddr address)
    {
        var parts = address.ToString().Split('/');
        return parts.Length > 2 && parts[1] is "ip4" or "ip6" && IPAddress.TryParse(parts[2], out var ip) && IPAddress.IsLoopback(ip);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        _host.ReachabilityChanged -= OnReachabilityChanged;
        await _holePuncher.DisposeAsync();
        await _autoRelay.DisposeAsync();
        await _relayClient.DisposeAsync();
        await _autoNat.DisposeAsync();
        await _autoNatService.DisposeAsync();
        await _relayServiceLock.WaitAsync();
        try
        {
            if (_relayService is not null) await _relayService.DisposeAsync();
            _relayService = null;
        }
        finally
        {
            _relayServiceLock.Release();
        }
        _relayServiceLock.Dispose();
    }
}
