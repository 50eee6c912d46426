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

    /// <summary>
    /// Where apt can install the tool (root or passwordless sudo), the check installs it and goes on. apt-get, apt-cache and
    /// sudo are stand-ins here that record what they were asked; apt-cache answers at the length of a real policy listing
    /// and more, which once made the availability check fail under pipefail (grep -q closing the pipe: SIGPIPE).
    /// </summary>
    [Fact]
    public async Task Where_apt_can_install_a_missing_tool_the_check_installs_it_and_goes_on()
    {
        using var path = new PathWithout("g++", "apt-get", "apt-cache", "sudo");
        var log = Path.Combine(_copy, "apt.log");
        void Script(string name, string body) => File.WriteAllText(Path.Combine(path.Path, name), "#!/bin/sh\n" + body);
        Script("apt-cache", "echo \"$2:\"; echo '  Installed: (none)'; echo '  Candidate: 4:12.2.0-3'; seq 1 20000 | sed 's/^/  500 /'\n");
        Script("apt-get", $"echo \"apt-get $*\" >> {log}\n" + $"if [ \"$1\" = install ]; then printf '#!/bin/sh\\n' > {path.Path}/g++; chmod +x {path.Path}/g++; fi\n");
        Script("sudo", "[ \"$1\" = -n ] && shift; exec \"$@\"\n");
        File.Copy(Path.Combine(RepositoryRoot.Path, "scripts", "lib", "prerequisites.sh"), Path.Combine(_copy, "prerequisites.sh"));

        using var run = PeerzProcess.StartProgram("/bin/bash", ["-c", $"chmod +x {path.Path}/apt-get {path.Path}/apt-cache {path.Path}/sudo; set -euo pipefail; source prerequisites.sh; require_prerequisites fast; echo checked"],
            new Dictionary<string, string> { ["PATH"] = path.Path }, _copy);

        Assert.Equal(0, await run.WaitForExitAsync(TimeSpan.FromMinutes(1)));
        Assert.Contains("checked", run.Output);
        Assert.Contains("apt-get install -y -qq g++", File.ReadAllLines(log));
    }

    public void Dispose() => TempDirectory.Delete(_copy);
}
