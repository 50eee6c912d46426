namespace Peerz.Architecture.Tests;

/// <summary>Every project file under the repository (build outputs and node_modules left out), by project name.</summary>
public sealed class ProjectGraph
{
    private static readonly string[] SkippedDirectories = ["bin", "obj", "node_modules", ".git"];

    private ProjectGraph(IReadOnlyDictionary<string, ProjectFile> projects) => Projects = projects;

    public IReadOnlyDictionary<string, ProjectFile> Projects { get; }

    public static ProjectGraph Load(string root) =>
        new(Find(root).Select(path => ProjectFile.Read(root, path)).ToDictionary(p => p.Name));

    /// <summary>The project and everything it references, directly or not.</summary>
    public IReadOnlyList<ProjectFile> Closure(string name)
    {
        var seen = new Dictionary<string, ProjectFile>();
        var pending = new Stack<string>([name]);
        while (pending.TryPop(out var next))
        {
            if (seen.ContainsKey(next) || !Projects.TryGetValue(next, out var project)) continue;
            seen[next] = project;
            foreach (var reference in project.ProjectReferences) pending.Push(reference);
        }
        return [.. seen.Values];
    }

    private static IEnumerable<string> Find(string directory)
    {
        foreach (var file in Directory.EnumerateFiles(directory, "*.csproj")) yield return file;
        foreach (var child in Directory.EnumerateDirectories(directory))
        {
            if (SkippedDirectories.Contains(Path.GetFileName(child))) continue;
            foreach (var file in Find(child)) yield return file;
        }
    }
}
