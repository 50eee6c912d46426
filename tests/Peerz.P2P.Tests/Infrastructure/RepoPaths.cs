namespace Peerz.P2P.Tests.Infrastructure;

/// <summary>Locates the repository root (where Peerz.sln and node_modules live) from the test output folder.</summary>
internal static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    public static string Node => Path.Combine(Root, "node_modules", ".bin", "node");

    public static string Script(string name) => Path.Combine(Root, "tests", "Peerz.P2P.Tests", "js", name);

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Peerz.sln")))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? throw new InvalidOperationException("Peerz.sln not found above the test folder");
    }
}
