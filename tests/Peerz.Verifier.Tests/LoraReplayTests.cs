using Peerz.Model.Adapters;
using Peerz.Model.Blocks;
using Peerz.Model.Checkpoints;
using Peerz.Protocol.Tensors;
using Peerz.Protocol.Wire;
using Peerz.Testing;
using Peerz.Verifier.Verification;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Peerz.Verifier.Tests;

/// <summary>
/// Receipts of LoRA requests: the adapter is part of the signed request, so the verifier replays with it. An honest
/// provider that applied the client's adapter passes far inside the float32 tolerance (a replay without the adapter would
/// have flagged it: no honest provider may be slashed); one that ignored the adapter is flagged.
/// </summary>
public sealed class LoraReplayTests(TinyModelFixture model, ITestOutputHelper output) : IClassFixture<TinyModelFixture>
{
    private readonly double _tolerance = new VerificationTolerances().For("float32", "none");

    [Fact]
    public void Honest_adapter_requests_pass_and_outputs_without_the_adapter_are_flagged()
    {
        using var checkpoint = Checkpoint.Open(model.Directory);
        using var provider = BlockSpan.Load(checkpoint, 1, 3);
        using var recomputer = new SpanRecomputer(checkpoint, TensorLimits.Default);
        using var full = LoraTestAdapters.Trained(checkpoint.Config, ["q_proj", "v_proj", "down_proj"], seed: 4);
        using var adapter = full.Slice(1, 3);
        using var scope = NewDisposeScope();
        var hidden = randn([2, 7, checkpoint.Config.HiddenSize], generator: manual_seed(5));
        var outputGradient = randn([2, 7, checkpoint.Config.HiddenSize], generator: manual_seed(6));

        var forward = new ForwardRequest { ModelId = "tiny", BlockStart = 1, BlockEnd = 3, Hidden = TensorCodec.Encode(hidden, TensorCompression.None), Adapter = LoraCodec.Encode(adapter) };
        var replayed = recomputer.Forward(forward);
        var honest = replayed.DivergenceOf(provider.Forward(hidden, null, adapter));
        var ignoredAdapter = replayed.DivergenceOf(provider.Forward(hidden));
        var withoutAdapterInReplay = recomputer.Forward(new ForwardRequest(forward) { Adapter = null }).DivergenceOf(provider.Forward(hidden, null, adapter));

        var backward = new BackwardRequest
        {
            ModelId = "tiny",
            BlockStart = 1,
            BlockEnd = 3,
            Hidden = forward.Hidden,
            OutputGradient = TensorCodec.Encode(outputGradient, TensorCompression.None),
            Adapter = forward.Adapter,
        };
        using var honestGradients = provider.Backward(hidden, null, outputGradient, adapter: adapter);
        using var ignoredGradients = provider.Backward(hidden, null, outputGradient);
        var replayedBackward = recomputer.Backward(backward).Input;
        var honestBackward = replayedBackward.DivergenceOf(honestGradients.Input);
        var ignoredBackward = replayedBackward.DivergenceOf(ignoredGradients.Input);

        output.WriteLine($"tolerance {_tolerance:G3}; forward: honest {honest:E2}, adapter ignored {ignoredAdapter:E2}, honest vs a replay without the adapter {withoutAdapterInReplay:E2}");
        output.WriteLine($"backward: honest {honestBackward:E2}, adapter ignored {ignoredBackward:E2}");
        Assert.True(honest * 100 <= _tolerance, $"honest forward {honest}");
        Assert.True(honestBackward * 100 <= _tolerance, $"honest backward {honestBackward}");
        Assert.True(ignoredAdapter > _tolerance, $"a provider ignoring the adapter is only {ignoredAdapter} away");
        Assert.True(ignoredBackward > _tolerance, $"a provider ignoring the adapter in backward is only {ignoredBackward} away");
        // Why the replay must apply the adapter: without it, the honest provider would be flagged.
        Assert.True(withoutAdapterInReplay > _tolerance);
    }

    [Fact]
    public void A_signed_adapter_that_does_not_fit_the_blocks_is_not_checkable_rather_than_a_crash()
    {
        using var checkpoint = Checkpoint.Open(model.Directory);
        using var recomputer = new SpanRecomputer(checkpoint, TensorLimits.Default);
        using var adapter = LoraAdapter.Create(checkpoint.Config, 0, 1, LoraModules.Default, rank: 2, alpha: 4, seed: 1);
        using var hidden = randn([1, 3, checkpoint.Config.HiddenSize]);
        var request = new ForwardRequest { ModelId = "tiny", BlockStart = 1, BlockEnd = 3, Hidden = TensorCodec.Encode(hidden, TensorCompression.None), Adapter = LoraCodec.Encode(adapter) };
        Assert.Throws<TensorFormatException>(() => recomputer.Forward(request));
    }
}
