using Peerz.Model.Tiny;

namespace Peerz.Hosting;

/// <summary>
/// The embedded default model: a tiny Llama trained on generated stories (<see cref="TrainedTinyModel"/>), written on
/// first use under <see cref="PeerzHome"/>, so a fresh clone runs and writes text without downloading anything.
/// </summary>
public static class DefaultModel
{
    /// <summary>Holds the fingerprint of the default model written to a directory.</summary>
    public const string MarkerFile = "peerz-default-model.txt";

    /// <summary>A model's name in the swarm when none is given: its directory's name.</summary>
    public static string IdOf(string modelDirectory) =>
        Path.GetFileName(Path.GetFullPath(modelDirectory).TrimEnd(Path.DirectorySeparatorChar));

    public static string Resolve(string? modelDirectory, TextWriter progress)
    {
        if (modelDirectory is not null) return modelDirectory;
        var directory = Path.Combine(PeerzHome.Directory(), "models", "tiny-llama");
        // A copy written by another version (or the random-weight model of earlier versions) is replaced.
        var marker = Path.Combine(directory, MarkerFile);
        if (!File.Exists(marker) || File.ReadAllText(marker).Trim() != TrainedTinyModel.Fingerprint)
        {
            progress.WriteLine($"writing the embedded default model (a tiny Llama trained on generated stories) to {directory} ...");
            TrainedTinyModel.WriteTo(directory);
            File.WriteAllText(marker, TrainedTinyModel.Fingerprint + "\n");
        }
        return directory;
    }
}
