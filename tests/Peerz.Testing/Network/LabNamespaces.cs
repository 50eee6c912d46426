using System.Globalization;
using System.Text.RegularExpressions;

namespace Peerz.Testing.Network;

/// <summary>
/// The lab's network namespaces on this machine: names are <c>pz&lt;owner pid&gt;x&lt;lab&gt;&lt;role&gt;</c>, so a lab can tell
/// its own from those a crashed test run left behind (owner process gone) and from a concurrent run's.
/// </summary>
public static partial class LabNamespaces
{
    private static readonly Lazy<string?> Refusal = new(Probe);
    private static readonly Lock CleanupLock = new();
    private static bool _cleaned;

    /// <summary>Why this machine cannot run the lab (the kernel or tools refuse namespaces, iptables NAT), or null when it can.</summary>
    public static string? WhyUnsupported => Refusal.Value;

    public static string Prefix(int lab) => string.Create(CultureInfo.InvariantCulture, $"pz{Environment.ProcessId}x{lab}");

    /// <summary>Deletes the namespaces (and kills the processes in them) of lab runs whose test process no longer exists; once per process.</summary>
    public static void RemoveStale()
    {
        lock (CleanupLock)
        {
            if (_cleaned) return;
            _cleaned = true;
        }
        foreach (var name in List())
        {
            if (LabName().Match(name) is not { Success: true } match) continue;
            var owner = int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
            if (owner == Environment.ProcessId || Directory.Exists($"/proc/{owner}")) continue;
            Delete(name);
        }
    }

    /// <summary>Kills what still runs in <paramref name="name"/> and deletes it; never throws (cleanup must not hide a test's failure).</summary>
    public static void Delete(string name)
    {
        var (_, pids, _) = LabCommand.TryRun("ip", "netns", "pids", name);
        foreach (var pid in pids.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            LabCommand.TryRun("kill", "-KILL", pid);
        LabCommand.TryRun("ip", "netns", "del", name);
    }

    public static IReadOnlyList<string> List()
    {
        var (exitCode, output, _) = LabCommand.TryRun("ip", "netns", "list");
        return exitCode != 0 ? [] : [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.Split(' ')[0])];
    }

    /// <summary>Tries what the lab needs (a namespace, a veth pair, a MASQUERADE rule) rather than guessing from the kernel version.</summary>
    private static string? Probe()
    {
        var name = Prefix(0) + "probe";
        try
        {
            var (code, _, error) = LabCommand.TryRun("ip", "netns", "add", name);
            if (code != 0) return $"network namespaces are refused here (ip netns add: {error.Trim()}); the NAT lab needs root and CONFIG_NET_NS";
            (code, _, error) = LabCommand.TryRun("ip", "-n", name, "link", "add", "v0", "type", "veth", "peer", "name", "v1");
            if (code != 0) return $"veth pairs are refused here ({error.Trim()})";
            (code, _, error) = LabCommand.TryRun("ip", "netns", "exec", name, "iptables", "-t", "nat", "-A", "POSTROUTING", "-o", "v0", "-j", "MASQUERADE", "--random-fully");
            if (code != 0) return $"iptables NAT is unavailable here ({error.Trim()}); apt-get install iptables (.ci/run does)";
            return null;
        }
        finally
        {
            LabCommand.TryRun("ip", "netns", "del", name);
        }
    }

    [GeneratedRegex(@"^pz(\d+)x\d+")]
    private static partial Regex LabName();
}
