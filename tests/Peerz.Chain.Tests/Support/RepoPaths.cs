using Peerz.Testing;
using Peerz.Testing.Chain;

namespace Peerz.Chain.Tests.Support;

/// <summary>The repository, its Node toolchain and this project's helper scripts.</summary>
public static class RepoPaths
{
    public static string Root => RepositoryRoot.Path;

    public static string NodeBin => HardhatNode.NodeBin;

    public static string ScriptPath(string name) => Path.Combine(Root, "tests", "Peerz.Chain.Tests", "js", name);
}
