using Peerz.Model.Tiny;

namespace Peerz.Testing;

/// <summary>
/// A small generated BLOOM checkpoint shared by a test class: 6 heads, so ALiBi's slopes for a head count that is not a
/// power of two are exercised; word embeddings tied to the LM head as in the released BLOOM models.
/// </summary>
public sealed class BloomModelFixture : IDisposable
{
    public static readonly TinyModelOptions Shape = TinyModelFixture.TestShape with { ModelType = "bloom", Hidden = 48, Heads = 6, KvHeads = 6, TieWordEmbeddings = true };

    public BloomModelFixture()
    {
        Directory = TempDirectory.Create("bloom");
        TinyModelGenerator.Write(Directory, Shape);
    }

    public string Directory { get; }

    public void Dispose() => TempDirectory.Delete(Directory);
}
