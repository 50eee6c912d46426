using Xunit;

namespace Peerz.Testing.Network;

/// <summary>
/// A test that builds a <see cref="NetworkLab"/>. Skipped, with the reason, only where the kernel or the tools refuse
/// network namespaces or iptables NAT; where PEERZ_REQUIRE_NETNS=1 (set by .ci/run, which installs iproute2 and
/// iptables) it always runs, so CI can never pass by skipping it.
/// </summary>
public sealed class NetworkLabFactAttribute : FactAttribute
{
    public NetworkLabFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("PEERZ_REQUIRE_NETNS") == "1") return;
        if (LabNamespaces.WhyUnsupported is { } reason) Skip = reason;
    }
}
