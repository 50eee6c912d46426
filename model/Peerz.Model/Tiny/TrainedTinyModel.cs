using System.Security.Cryptography;
using Peerz.Model.Checkpoints;

namespace Peerz.Model.Tiny;

/// <summary>
/// The shipped default model: <see cref="DefaultModelRecipe"/>'s output for its default arguments, a tiny Llama
/// trained on generated stories, stored in this assembly (config.json, tokenizer.json and bfloat16 weights, ~3 MB) so
/// a fresh clone writes readable text without downloading or training anything.
/// </summary>
public static class TrainedTinyModel
{
    private const string ResourcePrefix = "Peerz.Model.Tiny.Trained.";

    private static readonly string[] Files = [Checkpoint.ConfigFile, Checkpoint.TokenizerFile, Checkpoint.SingleFile];

    /// <summary>SHA-256 of the shipped weights, hex: tells a written copy of this model from any other.</summary>
    public static string Fingerprint { get; } = ComputeFingerprint();

    /// <summary>Writes the three files into <paramref name="directory"/> (each written aside, then moved in place).</summary>
    public static void WriteTo(string directory)
    {
        Directory.CreateDirectory(directory);
        foreach (var file in Files)
        {
            var path = Path.Combine(directory, file);
            using (var source = Open(file))
            using (var target = File.Create(path + ".tmp"))
                source.CopyTo(target);
            File.Move(path + ".tmp", path, overwrite: true);
        }
    }

    private static Stream Open(string file) =>
        typeof(TrainedTinyModel).Assembly.GetManifestResourceStream(ResourcePrefix + file)
        ?? throw new InvalidOperationException($"the default model's {file} is missing from {typeof(TrainedTinyModel).Assembly.GetName().Name}");

    private static string ComputeFingerprint()
    {
        using var weights = Open(Checkpoint.SingleFile);
        return Convert.ToHexStringLower(SHA256.HashData(weights));
    }
}
