using Peerz.Model.Tiny;

namespace Peerz.Bench.Model;

/// <summary>
/// Random-weight checkpoints of benchmark shapes, generated once into the temp directory and reused by later runs as long
/// as the shape they were written for (kept beside them) is the one asked for.
/// </summary>
internal static class BenchCheckpoint
{
    public static string Ensure(string name, TinyModelOptions shape)
    {
        var directory = Path.Combine(Path.GetTempPath(), $"peerz-bench-{name}");
        var shapeFile = Path.Combine(directory, "bench-shape.txt");
        var written = File.Exists(shapeFile) ? File.ReadAllText(shapeFile) : null;
        if (written != shape.ToString() || !File.Exists(Path.Combine(directory, "model.safetensors")))
        {
            Console.Error.WriteLine($"writing a {shape.Layers}-block {shape.ModelType} checkpoint (hidden {shape.Hidden}) to {directory} ...");
            TinyModelGenerator.Write(directory, shape);
            File.WriteAllText(shapeFile, shape.ToString());
        }
        return directory;
    }
}
