using Peerz.Client.Training;
using Peerz.Model;
using Peerz.Model.Checkpoints;
using Peerz.Model.Configuration;
using static TorchSharp.torch;

namespace Peerz.Client.Tests;

public sealed class SoftPromptsTests : IDisposable
{
    private static readonly ModelConfig Config = new() { ModelType = "llama", HiddenSize = 16, NumLayers = 3, NumHeads = 2, NumKeyValueHeads = 1, HeadDim = 8, VocabSize = 32, IntermediateSize = 32 };
    private readonly string _directory = TempDirectory.Create("prompts");

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Saved_prompts_load_back_identical(bool deep)
    {
        using var prompts = SoftPrompts.Create(Config, prefixLength: 5, deep, seed: 9);
        if (prompts.Deep is not null)
            using (no_grad())
                prompts.Deep.add_(1.5);
        var path = Path.Combine(_directory, "p.safetensors");
        prompts.Save(path);
        using var loaded = SoftPrompts.Load(path, Config);
        Assert.True(loaded.Shallow.allclose(prompts.Shallow, rtol: 0, atol: 0));
        Assert.Equal(deep, loaded.Deep is not null);
        if (deep) Assert.True(loaded.Deep!.allclose(prompts.Deep!, rtol: 0, atol: 0));
    }

    [Fact]
    public void The_same_seed_gives_the_same_prompts_and_another_seed_does_not()
    {
        using var a = SoftPrompts.Create(Config, 4, deep: false, seed: 1);
        using var b = SoftPrompts.Create(Config, 4, deep: false, seed: 1);
        using var c = SoftPrompts.Create(Config, 4, deep: false, seed: 2);
        Assert.True(a.Shallow.allclose(b.Shallow, rtol: 0, atol: 0));
        Assert.False(a.Shallow.allclose(c.Shallow, rtol: 0, atol: 0));
    }

    [Fact]
    public void Prompts_for_another_model_shape_are_refused_with_a_clear_error()
    {
        var path = Path.Combine(_directory, "bad.safetensors");
        foreach (var tensors in new (string, Tensor)[][]
        {
            [(SoftPrompts.ShallowName, zeros(4, 17))],                                               // wrong hidden size
            [(SoftPrompts.ShallowName, zeros(4, 16)), (SoftPrompts.DeepName, zeros(2, 4, 16))],      // deep prompts for 2 layers, model has 3
            [(SoftPrompts.ShallowName, zeros(4, 16)), (SoftPrompts.DeepName, zeros(3, 5, 16))],      // deep prefix differs from shallow
            [("something_else", zeros(4, 16))],                                                       // no prompts at all
        })
        {
            SafetensorsWriter.Write(path, tensors);
            var error = Assert.Throws<CheckpointFormatException>(() => SoftPrompts.Load(path, Config));
            Assert.Contains("prompts", error.Message);
        }
        File.WriteAllBytes(path, [1, 2, 3]);
        Assert.Throws<CheckpointFormatException>(() => SoftPrompts.Load(path, Config));
    }

    public void Dispose() => TempDirectory.Delete(_directory);
}
