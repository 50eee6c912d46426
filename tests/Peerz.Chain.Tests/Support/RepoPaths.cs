namespace Peerz.Chain.Tests.Support;

/// <summary>Locates the repository (the directory holding Peerz.sln) and its Node toolchain.</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    public static string NodeBin => Path.Combine(Root, "node_modules", ".bin");

    public static string ScriptPath(string name) => Path.Combine(Root, "tests", "Peerz.Chain.Tests", "js", name);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Peerz.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No Peerz.sln above {AppContext.BaseDirectory}.");
    }
}
