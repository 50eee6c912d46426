using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace Peerz.P2P.Host;

/// <summary>
/// What a host knows about its own addresses: where it listens, how peers observe it (identify), which
/// addresses were confirmed dialable (AutoNAT) or reserved on relays (circuit relay), and its reachability.
/// Bounded: at most <see cref="MaxObserved"/> observed addresses and <see cref="MaxExtra"/> advertised extras.
/// </summary>
internal sealed class HostAddresses
{
    public const int MaxObserved = 16;
    public const int MaxExtra = 16;

    private readonly Lock _lock = new();
    private readonly List<Multiaddr> _listen = [];
    private readonly Dictionary<Multiaddr, HashSet<PeerId>> _observed = [];
    private readonly List<Multiaddr> _extra = [];
    private Reachability _reachability = Reachability.Unknown;

    public event EventHandler<Reachability>? ReachabilityChanged;

    /// <summary>Raised after an advertised extra address (AutoNAT-confirmed or a relay's circuit) was added or removed.</summary>
    public event EventHandler? AdvertisedChanged;

    public IReadOnlyList<Multiaddr> Listen
    {
        get
        {
            lock (_lock)
            {
                return [.. _listen];
            }
        }
    }

    public Reachability Reachability
    {
        get
        {
            lock (_lock)
            {
                return _reachability;
            }
        }
    }

    public void AddListen(Multiaddr address)
    {
        lock (_lock)
        {
            _listen.Add(address);
        }
    }

    /// <summary>Records that <paramref name="observer"/> saw us at <paramref name="address"/>; relayed observations are ignored.</summary>
    public void AddObserved(Multiaddr address, PeerId observer)
    {
        if (address.IsCircuit)
        {
            return;
        }
        address = address.WithoutPeerId();
        lock (_lock)
        {
            if (!_observed.TryGetValue(address, out var observers))
            {
                if (_observed.Count >= MaxObserved)
                {
                    var weakest = _observed.MinBy(o => o.Value.Count).Key;
                    _observed.Remove(weakest);
                }
                _observed[address] = observers = [];
            }
            if (observers.Count < 64)
            {
                observers.Add(observer);
            }
        }
    }

    /// <summary>Observed addresses, most-confirmed first, each with how many distinct peers reported it.</summary>
    public IReadOnlyList<(Multiaddr Address, int Observers)> Observed
    {
        get
        {
            lock (_lock)
            {
                return [.. _observed.Select(o => (o.Key, o.Value.Count)).OrderByDescending(o => o.Count)];
            }
        }
    }

    public bool AddAdvertised(Multiaddr address)
    {
        address = address.IsCircuit ? address : address.WithoutPeerId();
        lock (_lock)
        {
            if (_extra.Contains(address) || _extra.Count >= MaxExtra)
            {
                return false;
            }
            _extra.Add(address);
        }
        AdvertisedChanged?.Invoke(this, EventArgs.Empty);
        return true;
    }

    public bool RemoveAdvertised(Multiaddr address)
    {
        address = address.IsCircuit ? address : address.WithoutPeerId();
        bool removed;
        lock (_lock)
        {
            removed = _extra.Remove(address);
        }
        if (removed) AdvertisedChanged?.Invoke(this, EventArgs.Empty);
        return removed;
    }

    /// <summary>
    /// Addresses to tell peers (identify, DHT records): listen addresses with wildcard IPs expanded to this
    /// machine's interface addresses, then confirmed and relay addresses. None carries /p2p of our own id
    /// at the end except circuit addresses, which need it to name the target.
    /// </summary>
    public IReadOnlyList<Multiaddr> Advertised
    {
        get
        {
            List<Multiaddr> listen, extra;
            lock (_lock)
            {
                listen = [.. _listen];
                extra = [.. _extra];
            }
            var result = new List<Multiaddr>();
            foreach (var address in listen.Select(a => a.WithoutPeerId()))
            {
                result.AddRange(ExpandWildcard(address));
            }
            result.AddRange(extra.Where(e => !result.Contains(e)));
            return result;
        }
    }

    public void SetReachability(Reachability reachability)
    {
        lock (_lock)
        {
            if (_reachability == reachability)
            {
                return;
            }
            _reachability = reachability;
        }
        ReachabilityChanged?.Invoke(this, reachability);
    }

    private static IEnumerable<Multiaddr> ExpandWildcard(Multiaddr address)
    {
        var (protocol, host, port) = address.GetTcpTarget();
        if ((protocol != MultiaddrProtocol.Ip4 && protocol != MultiaddrProtocol.Ip6)
            || !(IPAddress.Parse(host).Equals(IPAddress.Any) || IPAddress.Parse(host).Equals(IPAddress.IPv6Any)))
        {
            return [address];
        }
        var family = protocol == MultiaddrProtocol.Ip4 ? AddressFamily.InterNetwork : AddressFamily.InterNetworkV6;
        return NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == OperationalStatus.Up)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(u => u.Address)
            .Where(ip => ip.AddressFamily == family && !ip.IsIPv6LinkLocal)
            .Select(ip => Multiaddr.FromEndPoint(new IPEndPoint(ip, port)))
            .ToList();
    }
}
