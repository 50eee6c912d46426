using Peerz.Model.Tiny;

namespace Peerz.Testing;

/// <summary>A small generated Mixtral checkpoint (the test shape with 4 experts per block, top-2 routing), shared by a test class.</summary>
public sealed class MixtralModelFixture : IDisposable
{
    public static readonly TinyModelOptions Shape = TinyModelFixture.TestShape with { ModelType = "mixtral", Experts = 4, ExpertsPerToken = 2 };

    public MixtralModelFixture()
    {
        Directory = TempDirectory.Create("mixtral");
        TinyModelGenerator.Write(Directory, Shape);
    }

    public string Directory { get; }

    public void Dispose() => TempDirectory.Delete(Directory);
}
