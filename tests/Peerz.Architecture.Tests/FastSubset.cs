using System.Text.RegularExpressions;

namespace Peerz.Architecture.Tests;

/// <summary>
/// The rule behind <c>scripts/test.sh --fast</c>: it runs only tests that stay inside the test process, so every test
/// class that starts another program (Hardhat's node, a Node.js reference script, Chromium, PostgreSQL, a network
/// namespace, one of our executables, python3, a shell script) carries a class-level <c>[Trait("Category", …)]</c> that
/// the fast filter leaves out. The categories are listed once, in scripts/test.sh (<c>fast_excluded="…"</c>).
/// </summary>
public static partial class FastSubset
{
    /// <summary>The categories <c>--fast</c> leaves out, read from the script itself.</summary>
    public static IReadOnlySet<string> ExcludedCategories(string testScript)
    {
        var match = ExcludedLine().Match(testScript);
        if (!match.Success) throw new InvalidOperationException("scripts/test.sh has no fast_excluded=\"…\" line");
        return match.Groups["categories"].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet();
    }

    /// <summary>One line per test class that starts a process but would still run under <c>--fast</c>.</summary>
    public static IReadOnlyList<string> Violations(TestSources sources, IReadOnlySet<string> excluded)
    {
        var violations = new List<string>();
        foreach (var test in sources.TestClasses().OrderBy(t => t.RelativePath, StringComparer.Ordinal).ThenBy(t => t.Name, StringComparer.Ordinal))
        {
            var reachable = sources.Reachable(test);
            var starters = reachable.Where(t => t.StartsProcess || t.UsesChromium).Select(t => t.Name).Order(StringComparer.Ordinal).ToList();
            if (starters.Count == 0 || sources.Categories(test).Overlaps(excluded)) continue;
            violations.Add($"{test.Name} (tests/{test.RelativePath}) starts a process (through {string.Join(", ", starters)}) but carries no category " +
                $"--fast leaves out; add [Trait(\"Category\", \"{Suggest(reachable)}\")] to the class (one of: {string.Join(", ", excluded.Order(StringComparer.Ordinal))})");
        }
        return violations;
    }

    /// <summary>The category that names what the test needs: the most specific kind of program it reaches.</summary>
    private static string Suggest(IReadOnlyList<SourceType> reachable)
    {
        bool Reaches(string type) => reachable.Any(t => t.Name == type);
        if (reachable.Any(t => t.UsesChromium)) return "Browser";
        if (Reaches("NetworkLab")) return "Nat";
        if (Reaches("HardhatNode")) return "Chain";
        if (Reaches("PostgresServer")) return "Postgres";
        if (!reachable.Any(t => t.StartsProcess && t.Name != "NodeScript" && t.Name != "ProcessRun")) return "JavaScript";
        return "Process";
    }

    [GeneratedRegex(@"^fast_excluded=""(?<categories>[^""]*)""", RegexOptions.Multiline)]
    private static partial Regex ExcludedLine();
}
