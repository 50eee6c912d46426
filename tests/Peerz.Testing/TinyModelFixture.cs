using Peerz.Model.Tiny;
using Xunit;

namespace Peerz.Testing;

/// <summary>A small generated checkpoint in a temporary directory, shared by a test class.</summary>
public sealed class TinyModelFixture : IDisposable
{
    public static readonly TinyModelOptions TestShape = new() { Seed = 7, Layers = 4, Hidden = 64, Heads = 4, KvHeads = 2, Vocab = 256, MaxPositions = 256 };

    public TinyModelFixture()
    {
        Directory = TempDirectory.Create("tiny");
        TinyModelGenerator.Write(Directory, TestShape);
    }

    public string Directory { get; }

    public void Dispose() => TempDirectory.Delete(Directory);
}

public static class TempDirectory
{
    public static string Create(string purpose)
    {
        var path = Path.Combine(Path.GetTempPath(), $"peerz-{purpose}-{Guid.NewGuid():N}");
        System.IO.Directory.CreateDirectory(path);
        return path;
    }

    public static void Delete(string path)
    {
        try
        {
            System.IO.Directory.Delete(path, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp directory is harmless; never fail a test over cleanup.
        }
    }
}

public static class Arrays
{
    public static double MaxAbsDiff(float[][] a, float[][] b)
    {
        Assert.Equal(a.Length, b.Length);
        double max = 0;
        for (var i = 0; i < a.Length; i++)
        {
            Assert.Equal(a[i].Length, b[i].Length);
            for (var j = 0; j < a[i].Length; j++) max = Math.Max(max, Math.Abs(a[i][j] - b[i][j]));
        }
        return max;
    }
}
