namespace Peerz.Architecture.Tests;

/// <summary>
/// The types declared in the test projects' C# files, and which of them lead, through the types they name, to code that
/// starts another process. A type depends on the types of its own project or of Peerz.Testing that it names; the graph
/// over-approximates (a type named counts as used), so a test class is never taken for in-process by mistake.
/// </summary>
public sealed class TestSources
{
    private const string SharedProject = "Peerz.Testing";
    private static readonly string[] SkippedDirectories = ["bin", "obj"];

    private readonly IReadOnlyList<SourceType> _types;
    private readonly ILookup<string, SourceType> _byName;

    public TestSources(IEnumerable<SourceType> types)
    {
        _types = [.. types];
        _byName = _types.ToLookup(t => t.Name);
    }

    /// <summary>Every top-level type of every .cs file under <paramref name="testsDirectory"/>, build outputs left out.</summary>
    public static TestSources Load(string testsDirectory) =>
        new(Find(testsDirectory).SelectMany(path =>
            SourceType.Parse(Path.GetRelativePath(testsDirectory, path).Replace(Path.DirectorySeparatorChar, '/'), File.ReadAllText(path))));

    /// <summary>The classes xUnit runs: not abstract, with test methods of their own or inherited.</summary>
    public IEnumerable<SourceType> TestClasses() => _types.Where(t => !t.IsAbstract && Lineage(t).Any(l => l.HasTestMethods));

    /// <summary>The categories a class carries, its base classes' included (xUnit inherits class-level traits).</summary>
    public IReadOnlySet<string> Categories(SourceType type) => Lineage(type).SelectMany(l => l.Categories).ToHashSet();

    /// <summary>Every type reachable from <paramref name="start"/> through the names it mentions, itself included.</summary>
    public IReadOnlyList<SourceType> Reachable(SourceType start)
    {
        var seen = new HashSet<SourceType> { start };
        var pending = new Stack<SourceType>([start]);
        while (pending.TryPop(out var type))
            foreach (var dependency in type.MentionedNames.SelectMany(name => Resolve(type, name)))
                if (seen.Add(dependency)) pending.Push(dependency);
        return [.. seen];
    }

    /// <summary>The type and its base classes declared in the test sources.</summary>
    private IEnumerable<SourceType> Lineage(SourceType type)
    {
        var seen = new HashSet<SourceType>();
        var pending = new Stack<SourceType>([type]);
        while (pending.TryPop(out var next))
        {
            if (!seen.Add(next)) continue;
            yield return next;
            foreach (var baseType in next.BaseTypes.SelectMany(b => Resolve(next, b))) pending.Push(baseType);
        }
    }

    private IEnumerable<SourceType> Resolve(SourceType user, string name) =>
        _byName[name].Where(d => d != user && (d.Project == user.Project || d.Project == SharedProject));

    private static IEnumerable<string> Find(string directory)
    {
        foreach (var file in Directory.EnumerateFiles(directory, "*.cs")) yield return file;
        foreach (var child in Directory.EnumerateDirectories(directory))
        {
            if (SkippedDirectories.Contains(Path.GetFileName(child))) continue;
            foreach (var file in Find(child)) yield return file;
        }
    }
}
