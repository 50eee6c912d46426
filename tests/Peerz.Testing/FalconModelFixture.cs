using Peerz.Model.Tiny;

namespace Peerz.Testing;

/// <summary>
/// A small generated Falcon checkpoint shared by a test class, in Falcon-7B's layout (multi-query attention: one
/// key/value head; one input_layernorm), word embeddings tied to the LM head as in the released Falcon models.
/// With KvHeads above 1 the generator writes the new decoder architecture (Falcon-40B/180B) instead.
/// </summary>
public sealed class FalconModelFixture : IDisposable
{
    public static readonly TinyModelOptions Shape = TinyModelFixture.TestShape with { ModelType = "falcon", KvHeads = 1, TieWordEmbeddings = true };

    public FalconModelFixture()
    {
        Directory = TempDirectory.Create("falcon");
        TinyModelGenerator.Write(Directory, Shape);
    }

    public string Directory { get; }

    public void Dispose() => TempDirectory.Delete(Directory);
}
