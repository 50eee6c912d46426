using Peerz.Model.Blocks;
using Peerz.Model.Checkpoints;
using Peerz.Protocol.Tensors;
using Peerz.Protocol.Wire;
using Peerz.Testing;
using Peerz.Verifier.Verification;
using static TorchSharp.torch;

namespace Peerz.Verifier.Tests;

/// <summary>
/// Forward/backward requests of deep prompt tuning carry prompts; the verifier must recompute with them,
/// or an honest provider's answer would look like fraud.
/// </summary>
public sealed class DeepPromptRecomputeTests(TinyModelFixture model) : IClassFixture<TinyModelFixture>
{
    [Fact]
    public void The_verifier_recomputes_forward_and_backward_with_the_requests_deep_prompts()
    {
        using var checkpoint = Checkpoint.Open(model.Directory);
        using var recomputer = new SpanRecomputer(checkpoint, TensorLimits.Default);
        using var blocks = BlockSpan.Load(checkpoint, 1, 3);
        using var scope = NewDisposeScope();
        var hiddenSize = checkpoint.Config.HiddenSize;
        var hidden = randn([2, 6, hiddenSize], generator: new Generator(1));
        var prompts = randn([2, 3, hiddenSize], generator: new Generator(2));
        var gradient = randn([2, 6, hiddenSize], generator: new Generator(3));
        var forward = new ForwardRequest { ModelId = "tiny", BlockStart = 1, BlockEnd = 3, Hidden = TensorCodec.Encode(hidden, TensorCompression.None), Prompts = TensorCodec.Encode(prompts, TensorCompression.None) };
        var backward = new BackwardRequest
        {
            ModelId = "tiny",
            BlockStart = 1,
            BlockEnd = 3,
            Hidden = forward.Hidden,
            OutputGradient = TensorCodec.Encode(gradient, TensorCompression.None),
            Prompts = forward.Prompts,
        };

        // What an honest provider answers (TrainingProtocols computes exactly these).
        var expectedOutput = blocks.Forward(hidden, prompts);
        using var expectedGradients = blocks.Backward(hidden, prompts, gradient);
        Assert.True((recomputer.Forward(forward).Exact - expectedOutput).abs().max().item<float>() <= 1e-6);
        Assert.True((recomputer.Backward(backward).Input.Exact - expectedGradients.Input).abs().max().item<float>() <= 1e-6);
        // Ignoring the prompts would differ by far more than any tolerance.
        Assert.True((blocks.Forward(hidden) - expectedOutput).abs().max().item<float>() > 0.1);

        // Prompts that do not fit the blocks are a malformed payload (FormatException), not a verifier crash.
        forward.Prompts = TensorCodec.Encode(randn([3, 3, hiddenSize]), TensorCompression.None);
        Assert.Throws<FormatException>(() => recomputer.Forward(forward));
    }

    [Fact]
    public void Inputs_are_validated_against_the_model_and_the_verifiers_bound_before_anything_is_computed()
    {
        using var checkpoint = Checkpoint.Open(model.Directory);
        using var recomputer = new SpanRecomputer(checkpoint, TensorLimits.Default, maxTokens: 64);
        using var scope = NewDisposeScope();
        var (hiddenSize, positions, layers) = (checkpoint.Config.HiddenSize, checkpoint.Config.MaxPositionEmbeddings, checkpoint.Config.NumLayers);
        ForwardRequest Request(long batch, long length, long hidden, uint start = 0, uint end = 2) =>
            new() { ModelId = "tiny", BlockStart = start, BlockEnd = end, Hidden = TensorCodec.Encode(zeros([batch, length, hidden]), TensorCompression.None) };

        Assert.Contains("hidden size", Assert.Throws<FormatException>(() => recomputer.Forward(Request(1, 4, hiddenSize + 1))).Message);
        Assert.Contains("positions", Assert.Throws<FormatException>(() => recomputer.Forward(Request(1, positions + 1, hiddenSize))).Message);
        Assert.Contains("bound", Assert.Throws<FormatException>(() => recomputer.Forward(Request(5, 16, hiddenSize))).Message); // 80 > 64 tokens
        Assert.Contains("not in the model", Assert.Throws<FormatException>(() => recomputer.Forward(Request(1, 4, hiddenSize, 1, (uint)layers + 1))).Message);
        Assert.Contains("not in the model", Assert.Throws<FormatException>(() => recomputer.Forward(Request(1, 4, hiddenSize, 3, 3))).Message);
        Assert.Equal([1L, 4, hiddenSize], recomputer.Forward(Request(1, 4, hiddenSize)).Exact.shape);
    }
}
