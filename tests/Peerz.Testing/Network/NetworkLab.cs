using System.Globalization;
using System.Net;
using Peerz.Testing.Processes;

namespace Peerz.Testing.Network;

/// <summary>
/// A small internet built from network namespaces on this machine, for tests with real NATs: a "public internet"
/// namespace holding a bridge (203.0.113.0/24, a documentation range that exists only inside the lab), public hosts
/// on it, and private hosts each behind its own home router namespace (WAN on the bridge, LAN 192.168.N.0/24,
/// iptables MASQUERADE of a <see cref="NatKind"/>, unsolicited inbound dropped as home routers do). Real processes
/// run inside with <see cref="Start"/>. Disposing kills them and deletes every namespace, also after a failed test;
/// namespaces a crashed run left behind are removed when the next lab starts. Nothing outside the lab's own
/// namespaces is touched.
/// </summary>
public sealed class NetworkLab : IDisposable
{
    private const string Bridge = "br0";
    private static int _labs;

    private readonly string _prefix;
    private readonly string _public;
    private readonly List<string> _namespaces = [];
    private readonly List<(LabHost Host, PeerzProcess Process)> _processes = [];
    private readonly Lock _lock = new();
    private int _hosts;
    private int _routers;

    public NetworkLab()
    {
        if (LabNamespaces.WhyUnsupported is { } reason) throw new InvalidOperationException(reason);
        LabNamespaces.RemoveStale();
        _prefix = LabNamespaces.Prefix(Interlocked.Increment(ref _labs));
        _public = _prefix + "pub";
        try
        {
            AddNamespace(_public);
            Ip(_public, "link", "add", Bridge, "type", "bridge");
            Ip(_public, "link", "set", Bridge, "up");
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Why <see cref="AddDelay"/> could not add latency here (the kernel lacks sch_netem), or null.</summary>
    public string? DelayUnavailable { get; private set; }

    /// <summary>A host directly on the public bridge at 203.0.113.(10 + n).</summary>
    public LabHost AddPublicHost(string role)
    {
        var index = Interlocked.Increment(ref _hosts);
        var ns = Namespace($"h{index}");
        var address = IPAddress.Parse(string.Create(CultureInfo.InvariantCulture, $"203.0.113.{10 + index}"));
        AttachToBridge(ns, "eth0", $"ph{index}", address);
        return new LabHost(role, ns, address, null);
    }

    /// <summary>A host at 192.168.N.2 behind its own home router, whose WAN address is 203.0.113.(100 + N).</summary>
    public LabHost AddPrivateHost(string role, NatKind nat)
    {
        var n = Interlocked.Increment(ref _routers);
        var router = Namespace($"r{n}");
        var wan = IPAddress.Parse(string.Create(CultureInfo.InvariantCulture, $"203.0.113.{100 + n}"));
        AttachToBridge(router, "wan0", $"pr{n}", wan);

        var hostNs = Namespace($"p{n}");
        var lanPrefix = string.Create(CultureInfo.InvariantCulture, $"192.168.{n}");
        Ip("", "link", "add", "name", "lan0", "netns", router, "type", "veth", "peer", "name", "eth0", "netns", hostNs);
        Ip(router, "addr", "add", $"{lanPrefix}.1/24", "dev", "lan0");
        Ip(router, "link", "set", "lan0", "up");
        Ip(hostNs, "addr", "add", $"{lanPrefix}.2/24", "dev", "eth0");
        Ip(hostNs, "link", "set", "eth0", "up");
        Ip(hostNs, "route", "add", "default", "via", $"{lanPrefix}.1");

        LabCommand.RunIn(router, "sysctl", "-qw", "net.ipv4.ip_forward=1");
        string[] masquerade = nat == NatKind.Symmetric ? ["-j", "MASQUERADE", "--random-fully"] : ["-j", "MASQUERADE"];
        IpTables(router, ["-t", "nat", "-A", "POSTROUTING", "-o", "wan0", .. masquerade]);
        // A home router answers nothing it was not asked for: unsolicited packets from the WAN are dropped
        // (not rejected, so a hole-punching SYN that arrives early does not reset the peer's attempt).
        IpTables(router, "-A", "INPUT", "-i", "wan0", "-m", "conntrack", "--ctstate", "ESTABLISHED,RELATED", "-j", "ACCEPT");
        IpTables(router, "-A", "INPUT", "-i", "wan0", "-j", "DROP");
        IpTables(router, "-A", "FORWARD", "-i", "wan0", "-m", "conntrack", "--ctstate", "ESTABLISHED,RELATED", "-j", "ACCEPT");
        IpTables(router, "-A", "FORWARD", "-i", "wan0", "-j", "DROP");
        return new LabHost(role, hostNs, IPAddress.Parse($"{lanPrefix}.2"), new LabRouter(router, wan, nat));
    }

    /// <summary>
    /// Adds <paramref name="oneWay"/> latency to everything leaving <paramref name="host"/>'s side of the internet
    /// (its router's WAN, or its own interface) with netem; false, with <see cref="DelayUnavailable"/> set, where the
    /// kernel has no sch_netem.
    /// </summary>
    public bool AddDelay(LabHost host, TimeSpan oneWay)
    {
        var (ns, device) = host.Router is { } router ? (router.Namespace, "wan0") : (host.Namespace, "eth0");
        var delay = string.Create(CultureInfo.InvariantCulture, $"{oneWay.TotalMilliseconds:F0}ms");
        var (code, _, error) = LabCommand.TryRun("ip", "netns", "exec", ns, "tc", "qdisc", "add", "dev", device, "root", "netem", "delay", delay);
        if (code == 0) return true;
        DelayUnavailable = $"netem delay is unavailable here (tc: {error.Trim()})";
        return false;
    }

    /// <summary>Starts a repository executable (its build output, run with dotnet) inside <paramref name="host"/>'s namespace.</summary>
    public PeerzProcess Start(LabHost host, string assemblyPath, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null) =>
        StartProgram(host, "dotnet", [assemblyPath, .. arguments], environment);

    /// <summary>Starts any program inside <paramref name="host"/>'s namespace; the lab kills it on dispose.</summary>
    public PeerzProcess StartProgram(LabHost host, string fileName, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var process = PeerzProcess.StartProgram("ip", ["netns", "exec", host.Namespace, fileName, .. arguments], environment);
        lock (_lock) _processes.Add((host, process));
        return process;
    }

    /// <summary>Every process started in the lab so far, with where it runs (for a failed test's output).</summary>
    public IReadOnlyList<(LabHost Host, PeerzProcess Process)> Processes
    {
        get
        {
            lock (_lock) return [.. _processes];
        }
    }

    /// <summary>Runs a short command inside <paramref name="host"/>'s namespace and returns exit code and output.</summary>
    public ProcessResult Run(LabHost host, string fileName, params string[] arguments) =>
        LabCommand.TryRun("ip", ["netns", "exec", host.Namespace, fileName, .. arguments]);

    public void Dispose()
    {
        List<(LabHost Host, PeerzProcess Process)> processes;
        List<string> namespaces;
        lock (_lock)
        {
            processes = [.. _processes];
            namespaces = [.. _namespaces];
            _processes.Clear();
            _namespaces.Clear();
        }
        foreach (var (_, process) in processes) process.Dispose();
        foreach (var ns in Enumerable.Reverse(namespaces)) LabNamespaces.Delete(ns);
    }

    private string Namespace(string role)
    {
        var ns = _prefix + role;
        AddNamespace(ns);
        return ns;
    }

    private void AddNamespace(string ns)
    {
        LabCommand.Run("ip", "netns", "add", ns);
        lock (_lock) _namespaces.Add(ns);
        Ip(ns, "link", "set", "lo", "up");
    }

    /// <summary>A veth pair created directly in the two namespaces (no name ever appears in the machine's own namespace).</summary>
    private void AttachToBridge(string ns, string device, string port, IPAddress address)
    {
        Ip("", "link", "add", "name", device, "netns", ns, "type", "veth", "peer", "name", port, "netns", _public);
        Ip(_public, "link", "set", port, "master", Bridge);
        Ip(_public, "link", "set", port, "up");
        Ip(ns, "addr", "add", $"{address}/24", "dev", device);
        Ip(ns, "link", "set", device, "up");
    }

    private static void Ip(string ns, params string[] arguments) =>
        LabCommand.Run("ip", ns.Length == 0 ? arguments : ["-n", ns, .. arguments]);

    private static void IpTables(string ns, params string[] arguments) => LabCommand.RunIn(ns, "iptables", arguments);
}
