namespace Peerz.Architecture.Tests;

/// <summary>
/// The allowed project graph, as data (docs/architecture.md shows the same table). Dependencies point one way: contracts
/// and wire formats at the bottom, executables at the top. A reference that is not listed here is a design change:
/// update this table and the document together, or move the code the reference was for.
/// Test projects (tests/) and benchmarks (bench/) may reference anything and are not listed.
/// </summary>
public static class DependencyRules
{
    public static readonly IReadOnlyDictionary<string, string[]> AllowedReferences = new Dictionary<string, string[]>
    {
        ["Peerz.Chain"] = [],
        ["Peerz.P2P"] = [],
        ["Peerz.Model"] = [],
        ["Peerz.Protocol"] = ["Peerz.P2P", "Peerz.Chain"],
        ["Peerz.Protocol.Tensors"] = ["Peerz.Protocol", "Peerz.Model"],
        ["Peerz.Discovery"] = ["Peerz.Protocol"],
        ["Peerz.Ledger"] = ["Peerz.Chain"],
        ["Peerz.Settlement.Contracts"] = ["Peerz.Chain"],
        ["Peerz.Settlement"] = ["Peerz.Settlement.Contracts", "Peerz.Ledger", "Peerz.P2P"],
        ["Peerz.Hosting"] = ["Peerz.Chain"],
        ["Peerz.Hosting.Model"] = ["Peerz.Hosting", "Peerz.Model"],
        ["Peerz.Node"] = ["Peerz.Protocol", "Peerz.Protocol.Tensors", "Peerz.Hosting", "Peerz.Ledger"],
        ["Peerz.Client"] = ["Peerz.Protocol", "Peerz.Protocol.Tensors", "Peerz.Discovery", "Peerz.Ledger", "Peerz.Settlement.Contracts"],
        ["Peerz.Gateway"] = ["Peerz.Client", "Peerz.Hosting"],
        ["Peerz.Verifier"] = ["Peerz.Protocol", "Peerz.Protocol.Tensors", "Peerz.Ledger", "Peerz.Client", "Peerz.Settlement.Contracts", "Peerz.Hosting"],
        ["Peerz.Provider"] = ["Peerz.Node", "Peerz.Discovery", "Peerz.Hosting", "Peerz.Hosting.Model"],
        ["Peerz.Cli"] = ["Peerz.Gateway", "Peerz.Hosting", "Peerz.Hosting.Model", "Peerz.Settlement.Contracts"],
        ["Peerz.Settle"] = ["Peerz.Settlement", "Peerz.Hosting"],
        ["Peerz.Verifier.Service"] = ["Peerz.Verifier", "Peerz.Hosting", "Peerz.Hosting.Model"],
    };

    /// <summary>Projects that never run a transformer block, so neither they nor anything they reference may bring in libtorch.</summary>
    public static readonly string[] ModelFree =
    [
        "Peerz.Chain", "Peerz.P2P", "Peerz.Protocol", "Peerz.Discovery", "Peerz.Ledger", "Peerz.Settlement.Contracts",
        "Peerz.Settlement", "Peerz.Hosting", "Peerz.Settle",
    ];

    /// <summary>Contract projects: what other roles reference to talk to a service, so they carry no server and no store.</summary>
    public static readonly string[] Contracts = ["Peerz.Settlement.Contracts", "Peerz.Discovery"];

    /// <summary>What a contract project's closure may not contain: ASP.NET Core (a server) or a database driver (a store).</summary>
    public static readonly string[] ServerDependencies = ["Microsoft.AspNetCore.App", "Microsoft.Data.Sqlite", "Dapper", "Npgsql"];

    public static readonly string[] UnlistedFolders = ["tests", "bench"];
}
