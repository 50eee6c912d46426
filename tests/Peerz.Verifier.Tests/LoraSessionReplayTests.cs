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
/// Inference sessions opened with a LoRA adapter, deep prompts or both: step 0's signed input carries them, and the
/// verifier replays the whole session (prefill, decode steps, a rollback) with them. An honest provider, which applied
/// them with its KV cache, passes far inside the float32 tolerance; one that ignored them is flagged at every step; and a
/// replay that forgot them would have flagged the honest one (no honest provider may be slashed).
/// </summary>
public sealed class LoraSessionReplayTests(TinyModelFixture model, ITestOutputHelper output) : IClassFixture<TinyModelFixture>
{
    private readonly double _tolerance = new VerificationTolerances().For("float32", "none");

    /// <summary>Prefill of 5 positions, three decode steps, then a step that rolls back to position 6 (speculative decoding).</summary>
    private static readonly (int Position, int Length)[] Steps = [(0, 5), (5, 1), (6, 1), (7, 1), (6, 2)];

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void An_honest_tuned_session_passes_and_one_that_ignored_its_tuning_is_flagged(bool withAdapter, bool withPrompts)
    {
        using var checkpoint = Checkpoint.Open(model.Directory);
        using var provider = BlockSpan.Load(checkpoint, 1, 3);
        using var recomputer = new SpanRecomputer(checkpoint, TensorLimits.Default);
        using var full = LoraTestAdapters.Trained(checkpoint.Config, ["q_proj", "v_proj", "down_proj"], seed: 4);
        using var scope = NewDisposeScope();
        var budget = new KvCacheBudget(1L << 30);
        var inputs = Steps.Select((s, i) => randn([1, s.Length, checkpoint.Config.HiddenSize], generator: manual_seed(10 + i))).ToList();
        // Deep prompts over 6 positions (std 1, like the embeddings): the prefix ends inside the first decode step.
        var prompts = withPrompts ? randn([2, 6, checkpoint.Config.HiddenSize], generator: manual_seed(7)) : null;

        List<Tensor> Serve(bool applyTuning)
        {
            using var session = provider.OpenSession(1, 16, budget, applyTuning && withAdapter ? full.Slice(1, 3) : null, applyTuning ? prompts?.clone() : null);
            return Steps.Select((s, i) =>
            {
                session.Rollback(s.Position);
                return session.Step(inputs[i]);
            }).ToList();
        }

        var honest = Serve(applyTuning: true);
        var ignored = Serve(applyTuning: false);
        using var slice = full.Slice(1, 3);
        var signed = Steps.Select((s, i) => new InferenceStep { Step = (ulong)i, Position = (uint)s.Position, Hidden = TensorCodec.Encode(inputs[i], TensorCompression.None) }).ToList();
        if (withAdapter) signed[0].SessionAdapter = LoraCodec.Encode(slice);
        if (prompts is not null) signed[0].SessionPrompts = TensorCodec.Encode(prompts, TensorCompression.None);
        var replayed = recomputer.Inference(1, 3, signed, TensorCompression.None);
        var untuned = signed.Select((s, i) => i == 0 ? new InferenceStep(s) { SessionAdapter = null, SessionPrompts = null } : s).ToList();
        var withoutTuning = recomputer.Inference(1, 3, untuned, TensorCompression.None);

        var honestDivergence = replayed.Select((r, i) => r.DivergenceOf(honest[i])).ToList();
        var ignoredDivergence = replayed.Select((r, i) => r.DivergenceOf(ignored[i])).ToList();
        var forgotten = withoutTuning.Select((r, i) => r.DivergenceOf(honest[i])).ToList();
        output.WriteLine($"adapter {withAdapter}, prompts {withPrompts}; tolerance {_tolerance:G3}; per step: honest {string.Join(" ", honestDivergence.Select(d => d.ToString("E2")))}; " +
            $"tuning ignored {string.Join(" ", ignoredDivergence.Select(d => d.ToString("E2")))}; honest vs a replay without the tuning {string.Join(" ", forgotten.Select(d => d.ToString("E2")))}");
        Assert.All(honestDivergence, d => Assert.True(d * 100 <= _tolerance, $"honest step {d}"));
        Assert.All(ignoredDivergence, d => Assert.True(d > _tolerance, $"a step that ignored the tuning is only {d} away"));
        // Why the replay must read the tuning from step 0: without it, the honest provider would be flagged.
        Assert.All(forgotten, d => Assert.True(d > _tolerance));
    }

    [Fact]
    public void Tuning_on_a_later_step_or_that_does_not_fit_makes_the_session_not_checkable()
    {
        using var checkpoint = Checkpoint.Open(model.Directory);
        using var recomputer = new SpanRecomputer(checkpoint, TensorLimits.Default);
        using var full = LoraTestAdapters.Trained(checkpoint.Config, ["q_proj"], seed: 4);
        using var inside = full.Slice(1, 3);
        using var outside = full.Slice(0, 1);
        using var hidden = randn([1, 3, checkpoint.Config.HiddenSize]);
        InferenceStep Step(ulong step, uint position) => new() { Step = step, Position = position, Hidden = TensorCodec.Encode(hidden, TensorCompression.None) };

        var late = new[] { Step(0, 0), Step(1, 3) };
        late[1].SessionAdapter = LoraCodec.Encode(inside);
        Assert.Throws<FormatException>(() => recomputer.Inference(1, 3, late, TensorCompression.None));
        var misfit = new[] { Step(0, 0) };
        misfit[0].SessionAdapter = LoraCodec.Encode(outside);
        Assert.Throws<TensorFormatException>(() => recomputer.Inference(1, 3, misfit, TensorCompression.None));

        // Deep prompts likewise: only on step 0, and only of the span's shape.
        using var prompts = randn([2, 2, checkpoint.Config.HiddenSize]);
        using var wrongBlocks = randn([3, 2, checkpoint.Config.HiddenSize]);
        var latePrompts = new[] { Step(0, 0), Step(1, 3) };
        latePrompts[1].SessionPrompts = TensorCodec.Encode(prompts, TensorCompression.None);
        Assert.Throws<FormatException>(() => recomputer.Inference(1, 3, latePrompts, TensorCompression.None));
        var misshapen = new[] { Step(0, 0) };
        misshapen[0].SessionPrompts = TensorCodec.Encode(wrongBlocks, TensorCompression.None);
        Assert.Throws<FormatException>(() => recomputer.Inference(1, 3, misshapen, TensorCompression.None));
    }
}
