namespace Peerz.Testing.Processes;

/// <summary>
/// A PATH on which some tools are missing, to run a script as a machine without them would: one temporary directory
/// of symbolic links to every program on this process's PATH (the first of each name, as the shell finds it) except
/// the ones left out. Disposing deletes the directory.
/// </summary>
public sealed class PathWithout : IDisposable
{
    private readonly string _directory = TempDirectory.Create("path-without");

    public PathWithout(params string[] leftOut)
    {
        var directories = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(System.IO.Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        foreach (var program in directories.Where(Directory.Exists).SelectMany(Directory.EnumerateFiles))
        {
            var link = System.IO.Path.Combine(_directory, System.IO.Path.GetFileName(program));
            if (!leftOut.Contains(System.IO.Path.GetFileName(program)) && !File.Exists(link) && !Directory.Exists(link))
                File.CreateSymbolicLink(link, program);
        }
    }

    /// <summary>The value to give PATH.</summary>
    public string Path => _directory;

    public void Dispose() => TempDirectory.Delete(_directory);
}
