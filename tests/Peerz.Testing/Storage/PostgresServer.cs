using Peerz.Testing.Processes;

namespace Peerz.Testing.Storage;

/// <summary>
/// A throwaway PostgreSQL server from the Debian package (apt-get install postgresql), one per test collection: a
/// fresh cluster in a temporary directory, reachable only through a unix socket there (no TCP port to collide with),
/// trust authentication, fsync off. Disposing stops it and deletes the directory. initdb refuses to run as root, so
/// as root the server runs as the package's postgres user. Where PostgreSQL is missing, <see cref="SkipReason"/> says
/// so and tests skip, unless PEERZ_REQUIRE_POSTGRES=1 (set by .ci/run, which installs it): then starting fails.
/// </summary>
public sealed class PostgresServer : IDisposable
{
    private const string PackageDirectory = "/usr/lib/postgresql";
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);

    private readonly string? _binDirectory = FindBinDirectory();
    private readonly string _directory = string.Empty;
    private int _databases;

    public PostgresServer()
    {
        if (_binDirectory is null)
        {
            if (Environment.GetEnvironmentVariable("PEERZ_REQUIRE_POSTGRES") == "1") throw new InvalidOperationException(MissingReason);
            SkipReason = MissingReason;
            return;
        }

        _directory = TempDirectory.Create("postgres");
        try
        {
            if (AsRoot) Run("chown", ["postgres:postgres", _directory]);
            RunServerTool("initdb", ["-D", DataDirectory, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8"]);
            RunServerTool("pg_ctl", ["-D", DataDirectory, "-l", Path.Combine(_directory, "server.log"), "-o", $"-c listen_addresses='' -k {_directory} -c fsync=off", "-w", "-t", "60", "start"]);
        }
        catch
        {
            TempDirectory.Delete(_directory);
            throw;
        }
    }

    /// <summary>Why the tests that need this server are skipped; null when it runs.</summary>
    public string? SkipReason { get; }

    private static string MissingReason => $"PostgreSQL is not installed (no {PackageDirectory}/*/bin/initdb; apt-get install postgresql; .ci/run installs it)";

    private static bool AsRoot => Environment.UserName == "root";

    private string DataDirectory => Path.Combine(_directory, "data");

    /// <summary>Creates an empty database and returns its postgres:// URL (through the server's socket directory).</summary>
    public string CreateDatabase()
    {
        var name = $"test{Interlocked.Increment(ref _databases)}";
        RunServerTool("createdb", ["-h", _directory, "-U", "postgres", name]);
        return $"postgres://postgres@localhost/{name}?host={Uri.EscapeDataString(_directory)}";
    }

    public void Dispose()
    {
        if (_binDirectory is null) return;
        RunServerTool("pg_ctl", ["-D", DataDirectory, "-m", "immediate", "-w", "-t", "60", "stop"]);
        TempDirectory.Delete(_directory);
    }

    private static string? FindBinDirectory() =>
        Directory.Exists(PackageDirectory)
            ? Directory.GetDirectories(PackageDirectory).Select(d => Path.Combine(d, "bin"))
                .Where(bin => File.Exists(Path.Combine(bin, "initdb")))
                .OrderByDescending(bin => int.TryParse(Path.GetFileName(Path.GetDirectoryName(bin)), out var major) ? major : 0)
                .FirstOrDefault()
            : null;

    private void RunServerTool(string tool, IReadOnlyList<string> arguments)
    {
        var path = Path.Combine(_binDirectory!, tool);
        if (AsRoot) Run("runuser", ["-u", "postgres", "--", path, .. arguments]);
        else Run(path, arguments);
    }

    private static void Run(string program, IReadOnlyList<string> arguments)
    {
        using var process = PeerzProcess.StartProgram(program, arguments);
        var exitCode = process.WaitForExitAsync(CommandTimeout).GetAwaiter().GetResult();
        if (exitCode != 0) throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} exited with {exitCode}:\n{process.Output}");
    }
}
