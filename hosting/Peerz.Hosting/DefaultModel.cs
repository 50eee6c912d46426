using Peerz.Model.Tiny;

namespace Peerz.Hosting;

/// <summary>
/// The embedded default model: a tiny Llama checkpoint generated deterministically on first use
/// under $PEERZ_HOME (default ~/.peerz), so a fresh clone runs without downloading anything.
/// </summary>
public static class DefaultModel
{
    public static string Home(Func<string, string?>? environment = null) =>
        (environment ?? Environment.GetEnvironmentVariable)("PEERZ_HOME")
        ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".peerz");

    /// <summary>A model's name in the swarm when none is given: its directory's name.</summary>
    public static string IdOf(string modelDirectory) =>
        Path.GetFileName(Path.GetFullPath(modelDirectory).TrimEnd(Path.DirectorySeparatorChar));

    public static string Resolve(string? modelDirectory, TextWriter progress)
    {
        if (modelDirectory is not null) return modelDirectory;
        var directory = Path.Combine(Home(), "models", "tiny-llama");
        if (!File.Exists(Path.Combine(directory, "config.json")))
        {
            progress.WriteLine($"generating the embedded tiny model in {directory} ...");
            TinyCheckpoint.Write(directory, new TinyModelOptions());
        }
        return directory;
    }
}
