using Peerz.Testing.Network;
using Peerz.Testing.Processes;

namespace Peerz.Integration.Tests.Nat;

/// <summary>
/// The NAT lab itself, checked with plain TCP before any libp2p runs in it: a cone router keeps a connection's
/// source port whatever the destination, a symmetric one picks a new port per destination, and neither lets an
/// unsolicited connection in.
/// </summary>
[Trait("Category", "Nat")]
public sealed class NetworkLabTests
{
    private static readonly string Probe = Path.Combine(RepositoryRoot.Path, "tests", "Peerz.Integration.Tests", "Nat", "js", "tcp-probe.mjs");

    [NetworkLabFact]
    public void Home_routers_map_ports_by_their_kind_and_drop_unsolicited_connections()
    {
        using var lab = new NetworkLab();
        var server = lab.AddPublicHost("server");
        var cone = lab.AddPrivateHost("cone", NatKind.Cone);
        var symmetric = lab.AddPrivateHost("symmetric", NatKind.Symmetric);
        var listener = lab.StartProgram(server, NodeScript.NodePath, [Probe, "listen", "4001", "4002"]);
        listener.WaitForLine("listening", TimeSpan.FromSeconds(30));

        var coneSeen = new[] { "4001", "4002" }.Select(port => Connect(lab, cone, server, port, listener)).ToList();
        Assert.All(coneSeen, seen => Assert.Equal((cone.PublicAddress.ToString(), LocalPort), seen));

        var symmetricSeen = new[] { "4001", "4002" }.Select(port => Connect(lab, symmetric, server, port, listener)).ToList();
        Assert.All(symmetricSeen, seen => Assert.Equal(symmetric.PublicAddress.ToString(), seen.Address));
        Assert.NotEqual(symmetricSeen[0].Port, symmetricSeen[1].Port);

        // The cone router has a mapping for port 40001 now, yet a connection it did not ask for is dropped.
        var (exitCode, output, _) = lab.Run(server, NodeScript.NodePath, Probe, "connect", cone.PublicAddress.ToString(), LocalPort, "40009");
        Assert.Equal(1, exitCode);
        Assert.Contains("no answer", output);
        // The public server itself takes connections from anywhere in the lab.
        Assert.Equal(0, lab.Run(symmetric, NodeScript.NodePath, Probe, "connect", server.Address.ToString(), "4001", "40010").ExitCode);
    }

    private const string LocalPort = "40001";

    private static (string Address, string Port) Connect(NetworkLab lab, LabHost from, LabHost server, string port, PeerzProcess listener)
    {
        var (exitCode, output, error) = lab.Run(from, NodeScript.NodePath, Probe, "connect", server.Address.ToString(), port, LocalPort);
        Assert.True(exitCode == 0, $"{from} could not reach {server}: {output} {error}");
        var seen = listener.WaitForLine($"seen {port} ", TimeSpan.FromSeconds(10)).Split(' ');
        return (seen[2], seen[3]);
    }
}
