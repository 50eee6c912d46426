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
/// Inference sessions opened with a LoRA adapter: step 0's signed input carries it, and the verifier replays the whole
/// session (prefill, decode steps, a rollback) with it. An honest provider, which applied it with its KV cache, passes far
/// inside the float32 tolerance; one that ignored it is flagged at every step; and a replay that forgot the adapter would
/// have flagged the honest one (no honest provider may be slashed).
/// </summary>
public sealed class LoraSessionReplayTests(TinyModelFixture model, ITestOutputHelper output) : IClassFixture<TinyModelFixture>
{
    private readonly double _tolerance = new VerificationTolerances().For("float32", "none");

    /// <summary>Prefill of 5 positions, three decode steps, then a step that rolls back to position 6 (speculative decoding).</summary>
    private static readonly (int Position, int Length)[] Steps = [(0, 5), (5, 1), (6, 1), (7, 1), (6, 2)];

    [Fact]
    public void An_honest_adapter_session_passes_and_one_that_ignored_the_adapter_is_flagged()
    {
        using var checkpoint = Checkpoint.Open(model.Directory);
        using var provider = BlockSpan.Load(checkpoint, 1, 3);
        using var recomputer = new SpanRecomputer(checkpoint, TensorLimits.Default);
        using var full = LoraTestAdapters.Trained(checkpoint.Config, ["q_proj", "v_proj", "down_proj"], seed: 4);
        using var scope = NewDisposeScope();
        var budget = new KvCacheBudget(1L << 30);
        var inputs = Steps.Select((s, i) => randn([1, s.Length, checkpoint.Config.HiddenSize], generator: manual_seed(10 + i))).ToList();

        List<Tensor> Serve(bool applyAdapter)
        {
            using var session = provider.OpenSession(1, 16, budget, applyAdapter ? full.Slice(1, 3) : null);
            return Steps.Select((s, i) =>
            {
                session.Rollback(s.Position);
                return session.Step(inputs[i]);
            }).ToList();
        }

        var honest = Serve(applyAdapter: true);
        var ignored = Serve(applyAdapter: false);
        using var slice = full.Slice(1, 3);
        var signed = Steps.Select((s, i) => new InferenceStep { Step = (ulong)i, Position = (uint)s.Position, Hidden = TensorCodec.Encode(inputs[i], TensorCompression.None) }).ToList();
        signed[0].SessionAdapter = LoraCodec.Encode(slice);
        var replayed = recomputer.Inference(1, 3, signed, TensorCompression.None);
        var withoutAdapter = recomputer.Inference(1, 3, signed.Select((s, i) => i == 0 ? new InferenceStep(s) { SessionAdapter = null } : s).ToList(), TensorCompression.None);

        var honestDivergence = replayed.Select((r, i) => r.DivergenceOf(honest[i])).ToList();
        var ignoredDivergence = replayed.Select((r, i) => r.DivergenceOf(ignored[i])).ToList();
        var forgotten = withoutAdapter.Select((r, i) => r.DivergenceOf(honest[i])).ToList();
        output.WriteLine($"tolerance {_tolerance:G3}; per step: honest {string.Join(" ", honestDivergence.Select(d => d.ToString("E2")))}; " +
            $"adapter ignored {string.Join(" ", ignoredDivergence.Select(d => d.ToString("E2")))}; honest vs a replay without the adapter {string.Join(" ", forgotten.Select(d => d.ToString("E2")))}");
        Assert.All(honestDivergence, d => Assert.True(d * 100 <= _tolerance, $"honest step {d}"));
        Assert.All(ignoredDivergence, d => Assert.True(d > _tolerance, $"a step that ignored the adapter is only {d} away"));
        // Why the replay must read the adapter from step 0: without it, the honest provider would be flagged.
        Assert.All(forgotten, d => Assert.True(d > _tolerance));
    }

    [Fact]
    public void An_adapter_on_a_later_step_or_one_that_does_not_fit_makes_the_session_not_checkable()
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
    }
}
