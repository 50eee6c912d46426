using Peerz.Testing;
using Peerz.Testing.Processes;

namespace Peerz.Integration.Tests;

/// <summary>
/// The README's two commands on a machine that lacks a tool: they stop before doing anything else, with one line naming
/// the tool and the command that installs it. g++ stands for any missing tool; apt-get is left out too, as where
/// nothing can be installed (otherwise the check installs the tool itself).
/// </summary>
[Trait("Category", "Process")]
public sealed class PrerequisiteCheckTests : IDisposable
{
    // A copy of the scripts alone: should the check let them through, they fail at once on a missing package.json
    // instead of building or wiping anything in the repository.
    private readonly string _copy = TempDirectory.Create("prerequisites");

    [Theory]
    [InlineData("run.sh")]
    [InlineData("test.sh")]
    public async Task A_missing_tool_stops_the_script_with_one_line_naming_it_and_its_install_command(string script)
    {
        foreach (var file in new[] { "run.sh", "test.sh", "lib/prerequisites.sh" })
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(_copy, "scripts", file))!);
            File.Copy(Path.Combine(RepositoryRoot.Path, "scripts", file), Path.Combine(_copy, "scripts", file));
        }
        using var path = new PathWithout("g++", "apt-get");
        using var run = PeerzProcess.StartProgram("/bin/bash", [Path.Combine("scripts", script)], new Dictionary<string, string> { ["PATH"] = path.Path }, _copy);

        Assert.Equal(1, await run.WaitForExitAsync(TimeSpan.FromMinutes(1)));
        var line = Assert.Single(run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: g++ is missing; install it with: ", line);
        Assert.EndsWith("apt-get install g++", line);
    }

    public void Dispose() => TempDirectory.Delete(_copy);
}
