using Peerz.Model.Tiny;

namespace Peerz.Integration.Tests.Nat;

/// <summary>
/// The test shape of the tiny model with a tokenizer (a byte-level vocabulary of 512), as `peerz generate` needs, and room
/// for long generations (2048 positions): a relay must be killed while tokens still flow.
/// </summary>
public sealed class TokenizedModelFixture : IDisposable
{
    public TokenizedModelFixture()
    {
        Directory = TempDirectory.Create("tiny-tokenized");
        TinyCheckpoint.Write(Directory, TinyModelFixture.TestShape with { Vocab = 512, MaxPositions = 2048 });
    }

    public string Directory { get; }

    public void Dispose() => TempDirectory.Delete(Directory);
}
