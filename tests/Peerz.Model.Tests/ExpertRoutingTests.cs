using Peerz.Model.Blocks;
using Peerz.Model.Checkpoints;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Peerz.Model.Tests;

/// <summary>
/// Recording a Mixtral span's expert choices and replaying a given routing (<see cref="ExpertRouting"/>), what providers
/// sign and the verifier replays: following the recorded routing is the router's own forward pass, a given routing is
/// computed as the independent reference computes it, and how far given experts are from a top-k is measured right.
/// </summary>
public sealed class ExpertRoutingTests(MixtralModelFixture model, ITestOutputHelper output) : IClassFixture<MixtralModelFixture>
{
    private static readonly int[] Tokens = [1, 17, 42, 99, 3, 250, 7, 7, 128, 64];

    [Fact]
    public void Following_the_recorded_routing_gives_the_routers_own_output_bit_for_bit()
    {
        using var local = LocalModel.Load(model.Directory);
        using var scope = NewDisposeScope();
        var hidden = local.Head.EmbedSequence(Tokens);
        Tensor own;
        RoutedExperts recorded;
        using (var routing = ExpertRouting.Record())
        {
            own = local.Blocks.Forward(hidden);
            recorded = RoutedExperts.From(routing.Chosen)!;
        }
        Assert.Equal((MixtralModelFixture.Shape.Layers, 1, Tokens.Length, 2), (recorded.Blocks, recorded.Batch, recorded.Positions, recorded.PerToken));
        Assert.All(recorded.Experts, e => Assert.InRange(e, 0, MixtralModelFixture.Shape.Experts - 1));

        using var follow = ExpertRouting.Follow(recorded.ToTensors(), slack: 0);
        var followed = local.Blocks.Forward(hidden);
        Assert.Equal(0.0, (followed - own).abs().max().item<float>());
        Assert.Equal(0.0, follow.Deficit!.max().item<float>());
        Assert.Equal(recorded.Experts, RoutedExperts.From(follow.Chosen)!.Experts);
    }

    [Fact]
    public void A_given_routing_is_computed_as_the_double_precision_reference_computes_it()
    {
        // Every token of block b at position t goes to experts (t + b) mod 4 and (t + b + 1) mod 4, whatever the router prefers.
        var experts = MixtralModelFixture.Shape.Experts;
        int[] Route(int layer, int position) => [(position + layer) % experts, (position + layer + 1) % experts];
        var given = Enumerable.Range(0, MixtralModelFixture.Shape.Layers)
            .Select(b => tensor(Enumerable.Range(0, Tokens.Length).SelectMany(t => Route(b, t)).Select(e => (long)e).ToArray(), [1, Tokens.Length, 2])).ToList();
        var reference = new NaiveLlama(model.Directory);
        var expected = reference.Logits(Tokens, Route);

        using var local = LocalModel.Load(model.Directory);
        float[][] logits;
        float[] deficits;
        using (var follow = ExpertRouting.Follow(given, slack: double.PositiveInfinity))
        {
            logits = local.Logits(Tokens);
            deficits = follow.Deficit!.data<float>().ToArray();
        }
        var maxDiff = logits.SelectMany((row, i) => row.Select((v, j) => Math.Abs(v - expected[i][j]))).Max();

        // The deficit, independently: per token, the largest over blocks of (best left-out probability − worst given one)⁺.
        var deficitDiff = 0.0;
        for (var t = 0; t < Tokens.Length; t++)
        {
            var worst = Enumerable.Range(0, MixtralModelFixture.Shape.Layers).Max(b =>
            {
                var p = reference.RouterProbabilities[(b, t)];
                var chosen = Route(b, t);
                var leftOut = Enumerable.Range(0, experts).Where(e => !chosen.Contains(e)).Max(e => p[e]);
                return Math.Max(0, leftOut - chosen.Min(e => p[e]));
            });
            deficitDiff = Math.Max(deficitDiff, Math.Abs(worst - deficits[t]));
        }
        output.WriteLine($"given routing: logits max abs diff vs float64 reference {maxDiff:E2}; deficits {string.Join(", ", deficits.Select(d => d.ToString("F3")))} (max diff {deficitDiff:E2})");
        // Float32 against float64, as ReferenceModelTests (1e-4 on logits); probabilities are in [0, 1], float32 keeps ~1e-7 of them.
        Assert.True(maxDiff <= 1e-4, $"logits max abs diff {maxDiff}");
        Assert.True(deficitDiff <= 1e-5, $"deficit differs by {deficitDiff}");
        Assert.Contains(deficits, d => d > 0.01);

        // With no slack every given choice that is not a top-k is replaced by the router's own: the plain forward pass.
        var own = local.Logits(Tokens);
        float[][] replaced;
        using (ExpertRouting.Follow(given, slack: 0)) replaced = local.Logits(Tokens);
        Assert.Equal(own.SelectMany(r => r), replaced.SelectMany(r => r));
    }

    [Fact]
    public void Steps_record_their_own_tokens_routing_lone_and_batched()
    {
        using var checkpoint = Checkpoint.Open(model.Directory);
        using var span = BlockSpan.Load(checkpoint, 1, 3);
        using var scope = NewDisposeScope();
        var budget = new KvCacheBudget(1L << 26);
        var generator = manual_seed(5);
        var inputs = Enumerable.Range(0, 3).Select(_ => randn([1, 6, checkpoint.Config.HiddenSize], generator: generator)).ToList();
        var sessions = inputs.Select(_ => span.OpenSession(1, 8, budget)).ToList();
        try
        {
            for (var s = 0; s < 3; s++)
            {
                sessions[s].Step(inputs[s].narrow(1, 0, 5));
                Assert.Equal((2, 1, 5), (sessions[s].LastRouting!.Blocks, sessions[s].LastRouting!.Batch, sessions[s].LastRouting!.Positions));
            }
            BatchedDecode.Step(sessions, inputs.Select(i => i.narrow(1, 5, 1)).ToList());
            for (var s = 0; s < 3; s++)
            {
                // The whole sequence at once routes every position as the cache did (the top-2 sets; a near-tie would show here).
                using var routing = ExpertRouting.Record();
                span.Forward(inputs[s]);
                var whole = RoutedExperts.From(routing.Chosen)!;
                Assert.Equal(Sets(whole.PositionRange(5, 1).Experts), Sets(sessions[s].LastRouting!.Experts));
            }
        }
        finally
        {
            foreach (var session in sessions) session.Dispose();
        }
    }

    [Fact]
    public void A_given_routing_that_does_not_fit_the_blocks_is_refused()
    {
        using var checkpoint = Checkpoint.Open(model.Directory);
        using var span = BlockSpan.Load(checkpoint, 0, 2);
        using var scope = NewDisposeScope();
        var hidden = randn([1, 3, checkpoint.Config.HiddenSize], generator: manual_seed(1));
        Tensor Given(params long[] experts) => tensor(experts, [1, 3, 2]);
        var fine = Given(0, 1, 2, 3, 1, 0);
        Assert.Throws<ArgumentException>(() => Run([fine]));
        Assert.Throws<ArgumentException>(() => Run([fine, Given(0, 1, 2, 4, 1, 0)]));
        Assert.Throws<ArgumentException>(() => Run([fine, Given(0, 1, 2, 3, 1, -1)]));
        Assert.Throws<ArgumentException>(() => Run([fine, Given(0, 1, 2, 2, 1, 0)]));
        Assert.Throws<ArgumentException>(() => Run([fine, tensor(new long[] { 0, 1, 2, 3 }, [1, 2, 2])]));
        Run([fine, fine]);

        void Run(IReadOnlyList<Tensor> given)
        {
            using var follow = ExpertRouting.Follow(given, slack: 1);
            span.Forward(hidden).Dispose();
        }
    }

    /// <summary>Each token's k experts as a set (top-k order is not part of the routing: the weighted sum does not depend on it).</summary>
    private static List<string> Sets(int[] experts) =>
        experts.Chunk(2).Select(pair => string.Join(",", pair.Order())).ToList();
}
