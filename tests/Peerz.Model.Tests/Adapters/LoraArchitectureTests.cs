using Peerz.Model.Adapters;
using Peerz.Model.Checkpoints;
using Peerz.Testing;

namespace Peerz.Model.Tests.Adapters;

/// <summary>LoRA targets the Llama family's projection names; a BLOOM span (fused query_key_value) refuses an adapter by name instead of ignoring it.</summary>
public sealed class LoraArchitectureTests(BloomModelFixture bloom) : IClassFixture<BloomModelFixture>
{
    [Fact]
    public void An_adapter_for_bloom_blocks_is_refused_with_the_reason()
    {
        using var checkpoint = Checkpoint.Open(bloom.Directory);
        var error = Assert.Throws<ArgumentException>(() => LoraAdapter.Create(checkpoint.Config, 0, 2, LoraModules.Default, rank: 2, alpha: 4, seed: 1));
        Assert.Contains("not bloom", error.Message);
    }
}
