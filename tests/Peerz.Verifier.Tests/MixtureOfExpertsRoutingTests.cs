using Google.Protobuf;
using Peerz.Model.Blocks;
using Peerz.Model.Checkpoints;
using Peerz.Model.Tiny;
using Peerz.Protocol.Tensors;
using Peerz.Protocol.Wire;
using Peerz.Testing;
using Peerz.Verifier.Verification;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Peerz.Verifier.Tests;

/// <summary>
/// Top-k routing is piecewise constant: a token whose k-th and (k+1)-th experts are nearly tied may be routed
/// differently by an honest provider (other rounding: dtype, batching, kernels) than by the verifier's replay, and its
/// output then differs by a whole expert's contribution. Providers therefore sign their expert choices with each output
/// and the verifier replays them, accepting a choice that differs from its own only within the near-tie margin
/// (<see cref="SignedRouting"/>, <see cref="OutputJudgement"/>). These tests measure honest runs in every mode with the
/// verifier's own routing (before signed choices: how much is excused as a near-tie) and with the signed routing (after:
/// everything is judged), and check that wrong routing, signed or not, is caught.
/// </summary>
public sealed class MixtureOfExpertsRoutingTests : IDisposable
{
    private const int DecodeSteps = 12;
    private static readonly TinyModelOptions Shape = TinyModelFixture.TestShape with { ModelType = "mixtral", Experts = 8, ExpertsPerToken = 2 };
    private static readonly int[] PromptLengths = [3, 7, 12, 20, 28, 36, 5, 16];

    private static readonly (string DType, string Quantization, BlockLoadOptions Load)[] Modes =
    [
        ("float32", "none", new BlockLoadOptions()),
        ("bfloat16", "none", new BlockLoadOptions { DType = ScalarType.BFloat16 }),
        ("float32", "int8", new BlockLoadOptions { Quantization = WeightQuantization.Int8 }),
    ];

    private readonly string _directory = TempDirectory.Create("moe-routing");
    private readonly ITestOutputHelper _output;

    public MixtureOfExpertsRoutingTests(ITestOutputHelper output)
    {
        _output = output;
        TinyModelGenerator.Write(Path.Combine(_directory, "model"), Shape);
    }

    [Fact]
    public void Honest_sessions_in_every_mode_replayed_with_their_signed_routing_are_all_judged_and_never_a_mismatch()
    {
        using var checkpoint = Checkpoint.Open(Path.Combine(_directory, "model"));
        using var recomputer = new SpanRecomputer(checkpoint, TensorLimits.Default);
        var tolerances = new VerificationTolerances();
        var sessions = Inputs(checkpoint.Config.HiddenSize, seed: 1);

        // Near-ties in the verifier's own replay, per token (the smallest margin over the 4 blocks).
        using (var float32 = BlockSpan.Load(checkpoint, 0, Shape.Layers))
        {
            var margins = sessions.SelectMany(tokens =>
            {
                using var observed = RouterMargins.Observe();
                float32.Forward(tokens).Dispose();
                return observed.Smallest!.data<float>().ToArray();
            }).ToList();
            var counts = new[] { 1e-6, 1e-4, 1e-3, 1e-2, 6e-2 }.Select(bound => $"< {bound:G1}: {margins.Count(m => m < bound)}");
            _output.WriteLine($"{margins.Count} tokens × {Shape.Layers} blocks routed (top-{Shape.ExpertsPerToken} of {Shape.Experts}); tokens whose smallest margin is {string.Join(", ", counts)}; smallest {margins.Min():E2}");
        }

        foreach (var (dtype, quantization, load) in Modes)
        {
            var (tolerance, margin) = (tolerances.For(dtype, quantization), tolerances.RouterMarginFor(dtype, quantization));
            using var provider = BlockSpan.Load(checkpoint, 0, Shape.Layers, load);
            var (steps, excused, flipped, worst, flipMargin, sessionsBefore, served) = (0, 0, 0, 0.0, 0.0, 0, 0);
            var (worstSigned, worstDeficit, tokensFlipped) = (0.0, 0.0, 0);
            foreach (var (stepwise, batched) in new[] { (false, false), (true, false), (false, true) })
            {
                foreach (var session in Serve(provider, sessions, stepwise, batched))
                {
                    served++;
                    var requests = session.Select(s => s.Step).ToList();
                    // Before: the verifier's own routing; a step beyond the tolerance after a near-tie is not evidence.
                    var own = recomputer.Inference(0, Shape.Layers, requests, TensorCompression.None);
                    // After: the provider's signed routing, as it crosses the wire.
                    var signed = recomputer.Inference(0, Shape.Layers, requests, TensorCompression.None, routing: Signed(checkpoint, session, margin));
                    var allCheckable = true;
                    for (var i = 0; i < session.Count; i++)
                    {
                        var divergence = own[i].DivergenceOf(session[i].Output);
                        steps++;
                        Assert.True(divergence <= tolerance || own[i].RoutedAtNearTie(margin),
                            $"{dtype}/{quantization}: an honest step is {divergence:E2} from the replay with router margin {own[i].RouterMargin:E2} (tolerance {tolerance})");
                        if (divergence > tolerance) (flipped, flipMargin) = (flipped + 1, Math.Max(flipMargin, own[i].RouterMargin));
                        else worst = Math.Max(worst, divergence);
                        if (own[i].RoutedAtNearTie(margin)) (excused, allCheckable) = (excused + 1, false);

                        var signedDivergence = signed[i].DivergenceOf(session[i].Output);
                        Assert.Null(OutputJudgement.Problem(signed[i], signedDivergence, tolerance, margin, routingSigned: true, $"{dtype}/{quantization} honest step {i}"));
                        (worstSigned, worstDeficit) = (Math.Max(worstSigned, signedDivergence), Math.Max(worstDeficit, signed[i].RoutingDeficit));
                        tokensFlipped += Sets(session[i].Routing!).Zip(Sets(own[i].Routing!)).Count(pair => pair.First != pair.Second);
                    }
                    if (allCheckable) sessionsBefore++;
                }
            }
            _output.WriteLine($"{dtype}/{quantization}: {steps} honest steps. Own routing (before): {flipped} beyond the tolerance {tolerance:G3} (expert flips after tokens of router margin at most {flipMargin:E2}); worst within {worst:E2}; " +
                $"{excused} steps follow a token of margin below {margin:G3} (not evidence), so {steps - excused}/{steps} steps and {sessionsBefore}/{served} sessions checkable. " +
                $"Signed routing (after): 0 mismatches, worst step {worstSigned:E2}, largest routing deficit {worstDeficit:E2}, {tokensFlipped} token-steps routed differently from the verifier's own and accepted; {steps}/{steps} steps and {served}/{served} sessions checkable");
        }
    }

    [Fact]
    public void Honest_backward_answers_in_every_mode_replayed_with_their_signed_routing_pass_and_wrong_gradients_are_caught_even_at_near_ties()
    {
        using var checkpoint = Checkpoint.Open(Path.Combine(_directory, "model"));
        using var recomputer = new SpanRecomputer(checkpoint, TensorLimits.Default);
        var tolerances = new VerificationTolerances();
        var inputs = Inputs(checkpoint.Config.HiddenSize, seed: 5);
        foreach (var (dtype, quantization, load) in Modes)
        {
            var (tolerance, margin) = (tolerances.GradientsFor(dtype, quantization), tolerances.RouterMarginFor(dtype, quantization));
            var weights = SpanRecomputer.ReplayWeights(quantization);
            using var provider = BlockSpan.Load(checkpoint, 0, Shape.Layers, load);
            var (answers, excusedBefore, worstSigned, worstDeficit, caught) = (0, 0, 0.0, 0.0, 0);
            for (var i = 0; i < inputs.Count; i++)
            {
                using var scope = NewDisposeScope();
                var tokens = inputs[i];
                var request = new BackwardRequest
                {
                    ModelId = "model",
                    BlockStart = 0,
                    BlockEnd = (uint)Shape.Layers,
                    Hidden = TensorCodec.Encode(tokens, TensorCompression.None),
                    OutputGradient = TensorCodec.Encode(randn(tokens.shape, generator: manual_seed(10 + i)) / tokens.shape[1], TensorCompression.None),
                };
                var answer = BackwardAnswer(provider, request);
                var signed = SignedRouting.FromResponses([(answer.Experts, request.Hidden)], checkpoint.Config, Shape.Layers, margin, out var malformed);
                Assert.Null(malformed);
                Assert.NotNull(signed);
                var expected = recomputer.Backward(request, weights, signed);
                var worst = BackwardComparison.Divergences(expected, answer, TensorLimits.Default).MaxBy(d => d.Divergence)!;
                var problem = OutputJudgement.Problem(expected.Input, worst.Divergence, tolerance, margin, routingSigned: true, $"{dtype}/{quantization} honest answer {i}: {worst.Name}");
                Assert.True(problem is null, problem);
                (worstSigned, worstDeficit) = (Math.Max(worstSigned, worst.Divergence), Math.Max(worstDeficit, expected.Input.RoutingDeficit));

                // A wrong input gradient (halved: beyond every mode's gradient tolerance) is caught whatever the router's margins.
                // Before backward answers signed their routing, one after a near-tie was not evidence.
                var wrong = answer.Clone();
                wrong.InputGradient = TensorCodec.Encode(TensorCodec.Decode(answer.InputGradient, TensorLimits.Default) * 0.5, TensorCompression.None);
                var wrongWorst = BackwardComparison.Divergences(expected, wrong, TensorLimits.Default).MaxBy(d => d.Divergence)!;
                if (OutputJudgement.Problem(expected.Input, wrongWorst.Divergence, tolerance, margin, routingSigned: true, wrongWorst.Name) is not null) caught++;
                if (recomputer.Backward(request, weights).Input.RoutedAtNearTie(margin)) excusedBefore++;
                answers++;
            }
            _output.WriteLine($"{dtype}/{quantization} backward: {answers} honest answers replayed with their signed routing, 0 mismatches, worst gradient {worstSigned:E2} " +
                $"(tolerance {tolerance:G3}), largest routing deficit {worstDeficit:E2} (margin {margin:G3}); halved input gradients caught {caught}/{answers} " +
                $"(before signed routing, {excusedBefore}/{answers} followed a near-tie and were not evidence)");
            Assert.Equal(answers, caught);
        }
    }

    [Fact]
    public void A_flip_at_a_near_tie_is_accepted_when_signed_caught_when_not_and_other_weights_are_caught()
    {
        // Experts 1 and 2 get router rows 1e-7 apart, so whenever they rank 2nd and 3rd the token is at a near-tie; the
        // "flipped" provider has the two rows swapped: it routes exactly those tokens to the other expert, as an honest
        // provider whose rounding falls on the other side of the tie does, and is otherwise the same model.
        var verifierModel = Path.Combine(_directory, "tie");
        var flippedModel = Path.Combine(_directory, "tie-flipped");
        WriteWithTiedRouterRows(Path.Combine(_directory, "model"), verifierModel, swap: false);
        WriteWithTiedRouterRows(Path.Combine(_directory, "model"), flippedModel, swap: true);
        using var checkpoint = Checkpoint.Open(verifierModel);
        using var flippedCheckpoint = Checkpoint.Open(flippedModel);
        using var recomputer = new SpanRecomputer(checkpoint, TensorLimits.Default);
        using var flipped = BlockSpan.Load(flippedCheckpoint, 0, Shape.Layers);
        var tolerance = new VerificationTolerances().Float32;
        var margin = new VerificationTolerances().ExactRouterMargin;

        var (beyond, worst, accepted, unsignedCaught) = (0, 0.0, 0, 0);
        foreach (var session in Serve(flipped, Inputs(checkpoint.Config.HiddenSize, seed: 2), promptStepwise: false, batched: false))
        {
            var requests = session.Select(s => s.Step).ToList();
            var own = recomputer.Inference(0, Shape.Layers, requests, TensorCompression.None);
            var signed = recomputer.Inference(0, Shape.Layers, requests, TensorCompression.None, routing: Signed(checkpoint, session, margin));
            var caughtUnsigned = false;
            for (var i = 0; i < session.Count; i++)
            {
                // Signed: every flip is within the near-tie margin, so it is replayed and the step is honest.
                var signedDivergence = signed[i].DivergenceOf(session[i].Output);
                Assert.Null(OutputJudgement.Problem(signed[i], signedDivergence, tolerance, margin, routingSigned: true, $"flipped step {i}"));
                accepted += Sets(session[i].Routing!).Zip(Sets(own[i].Routing!)).Count(pair => pair.First != pair.Second);
                // Unsigned: the same outputs replayed with the verifier's own routing, without the near-tie excuse.
                var divergence = own[i].DivergenceOf(session[i].Output);
                if (divergence <= tolerance) continue;
                (beyond, worst) = (beyond + 1, Math.Max(worst, divergence));
                caughtUnsigned |= OutputJudgement.Problem(own[i], divergence, tolerance, margin, routingSigned: false, "") is not null;
            }
            if (caughtUnsigned) unsignedCaught++;
        }
        _output.WriteLine($"flipped routing at near-ties: {accepted} token-steps routed differently from the verifier's own, all accepted when signed (0 mismatches); " +
            $"replayed with the verifier's own routing {beyond} steps are beyond the float32 tolerance (up to {worst:E2}): unsigned, {unsignedCaught}/{PromptLengths.Length} sessions are a mismatch");
        Assert.True(accepted > 0 && beyond > 0, "the construction must produce flips a verifier without the signed routing would have judged a mismatch");
        // Omitting the choices does not buy the near-tie excuse.
        Assert.True(unsignedCaught > 0);

        // Another model's outputs, with the routing it signed, are a mismatch in every session.
        var otherModel = Path.Combine(_directory, "other");
        TinyModelGenerator.Write(otherModel, Shape with { Seed = Shape.Seed + 1 });
        using var otherCheckpoint = Checkpoint.Open(otherModel);
        using var other = BlockSpan.Load(otherCheckpoint, 0, Shape.Layers);
        using var original = Checkpoint.Open(Path.Combine(_directory, "model"));
        using var originalRecomputer = new SpanRecomputer(original, TensorLimits.Default);
        var caught = Serve(other, Inputs(checkpoint.Config.HiddenSize, seed: 3), false, false).Count(session =>
        {
            var expected = originalRecomputer.Inference(0, Shape.Layers, session.Select(s => s.Step).ToList(), TensorCompression.None, routing: Signed(original, session, margin));
            return session.Select((s, i) => OutputJudgement.Problem(expected[i], expected[i].DivergenceOf(s.Output), tolerance, margin, routingSigned: true, "")).Any(problem => problem is not null);
        });
        _output.WriteLine($"another seed's outputs with its signed routing: {caught}/{PromptLengths.Length} sessions judged a mismatch");
        Assert.Equal(PromptLengths.Length, caught);
    }

    [Theory]
    [InlineData("float32", "none")]
    [InlineData("bfloat16", "none")]
    [InlineData("float32", "int8")]
    public void Computing_with_other_experts_than_signed_or_signing_experts_far_from_the_top_k_is_a_mismatch(string dtype, string quantization)
    {
        using var checkpoint = Checkpoint.Open(Path.Combine(_directory, "model"));
        using var recomputer = new SpanRecomputer(checkpoint, TensorLimits.Default);
        using var blocks = BlockSpan.Load(checkpoint, 0, Shape.Layers);
        var tolerances = new VerificationTolerances();
        var (tolerance, margin) = (tolerances.For(dtype, quantization), tolerances.RouterMarginFor(dtype, quantization));
        using var scope = NewDisposeScope();
        // One session: a prompt of 10 positions, then 6 decode steps; the cheat is at position 12 (step 3).
        const int prompt = 10, wrong = 12;
        var tokens = randn([1, prompt + 6, checkpoint.Config.HiddenSize], generator: manual_seed(4));
        RoutedExperts own;
        using (var routing = ExpertRouting.Record())
        {
            blocks.Forward(tokens);
            own = RoutedExperts.From(routing.Chosen)!;
        }
        // The cheat: position 12 routed, in every block, to two experts outside the router's top-2 (a cheaper model's choice).
        var experts = (int[])own.Experts.Clone();
        for (var block = 0; block < Shape.Layers; block++)
            Enumerable.Range(0, Shape.Experts).Except(Token(own, block, wrong)).Take(2).ToArray().CopyTo(experts, Index(own, block, wrong));
        var cheat = own with { Experts = experts };
        Tensor cheatOutput;
        double deficit;
        using (var follow = ExpertRouting.Follow(cheat.ToTensors(), double.PositiveInfinity))
        {
            cheatOutput = blocks.Forward(tokens);
            deficit = follow.Deficit!.max().item<float>();
        }
        _output.WriteLine($"{dtype}/{quantization}: the cheat routes position {wrong} to experts up to {deficit:E2} below the top-2 (near-tie margin {margin:G3})");
        Assert.True(deficit >= margin, "the cheat must be a routing no rounding explains");

        var requests = new List<InferenceStep> { Step(0, 0, tokens.narrow(1, 0, prompt)) };
        for (var position = prompt; position < tokens.shape[1]; position++) requests.Add(Step(requests.Count, position, tokens.narrow(1, position, 1)));
        var outputs = requests.Select(r => cheatOutput.narrow(1, r.Position, TensorCodec.Decode(r.Hidden, TensorLimits.Default).shape[1])).ToList();
        SignedRouting SignedAs(RoutedExperts routed) =>
            new(requests.Select(r => routed.PositionRange((int)r.Position, r.Position == 0 ? prompt : 1)).ToList(), margin);

        // Signs the router's own top-2 but computed with other experts: the replay of the signed routing differs from step 3 on.
        var signedOwn = recomputer.Inference(0, Shape.Layers, requests, TensorCompression.None, routing: SignedAs(own));
        var problems = requests.Select((_, i) => OutputJudgement.Problem(signedOwn[i], signedOwn[i].DivergenceOf(outputs[i]), tolerance, margin, routingSigned: true, $"step {i}")).ToList();
        Assert.All(problems.Take(3), Assert.Null);
        Assert.Contains("from the recomputation", problems[3]);
        _output.WriteLine($"  signed the top-2, computed with other experts: {problems[3]}");

        // Signs the routing it computed with: the signed choice is too far from the top-2 to be rounding.
        var signedCheat = recomputer.Inference(0, Shape.Layers, requests, TensorCompression.None, routing: SignedAs(cheat));
        problems = requests.Select((_, i) => OutputJudgement.Problem(signedCheat[i], signedCheat[i].DivergenceOf(outputs[i]), tolerance, margin, routingSigned: true, $"step {i}")).ToList();
        Assert.All(problems.Take(3), Assert.Null);
        Assert.Contains("a token is routed to an expert", problems[3]);
        _output.WriteLine($"  signed the routing it computed with: {problems[3]}");
        // The recomputed routing (what an honest provider signs) takes the router's own experts where the signed ones were refused.
        for (var block = 0; block < Shape.Layers; block++)
            Assert.Equal(Token(own, block, wrong).Order(), Token(signedCheat[3].Routing!, block, 0).Order());
    }

    /// <summary>What an honest provider answers a backward request with (TrainingProtocols.HandleBackwardAsync): the gradients and the routing of their pass, through the wire bytes.</summary>
    private static BackwardResponse BackwardAnswer(BlockSpan provider, BackwardRequest request)
    {
        using var routing = ExpertRouting.Record();
        using var gradients = provider.Backward(TensorCodec.Decode(request.Hidden, TensorLimits.Default), null, TensorCodec.Decode(request.OutputGradient, TensorLimits.Default));
        var response = new BackwardResponse
        {
            InputGradient = TensorCodec.Encode(gradients.Input, request.OutputCompression),
            Experts = ExpertChoicesCodec.Encode(RoutedExperts.From(routing.Chosen)),
        };
        return BackwardResponse.Parser.ParseFrom(response.ToByteArray());
    }

    private static InferenceStep Step(int step, long position, Tensor hidden) =>
        new() { Step = (ulong)step, Position = (uint)position, Hidden = TensorCodec.Encode(hidden, TensorCompression.None) };

    /// <summary>Where token (row 0, <paramref name="position"/>) of <paramref name="block"/> starts in <see cref="RoutedExperts.Experts"/>.</summary>
    private static int Index(RoutedExperts routed, int block, int position) => ((block * routed.Batch * routed.Positions) + position) * routed.PerToken;

    private static int[] Token(RoutedExperts routed, int block, int position) => routed.Experts.AsSpan(Index(routed, block, position), routed.PerToken).ToArray();

    /// <summary>Each token's experts (per block and position) as a set: the order of a top-k does not change the output.</summary>
    private static IEnumerable<string> Sets(RoutedExperts routed) => routed.Experts.Chunk(routed.PerToken).Select(e => string.Join(",", e.Order()));

    /// <summary>The routing a session's provider signed, through the wire codec as the verifier receives it.</summary>
    private static SignedRouting Signed(Checkpoint checkpoint, List<Served> session, double margin) =>
        new(session.Select(s => ExpertChoicesCodec.Decode(ExpertChoicesCodec.Encode(s.Routing)!, checkpoint.Config, Shape.Layers, 1, s.Routing!.Positions)).ToList(), margin);

    /// <summary>Sessions of unit-scale Gaussian hidden states (prompt lengths <see cref="PromptLengths"/>, then <see cref="DecodeSteps"/> positions).</summary>
    private static List<Tensor> Inputs(int hidden, ulong seed)
    {
        var generator = manual_seed((long)seed);
        return PromptLengths.Select(length => randn([1, length + DecodeSteps, hidden], generator: generator).DetachFromDisposeScope()).ToList();
    }

    /// <summary>One served step: the request, the provider's output and the expert choices it signed.</summary>
    private sealed record Served(InferenceStep Step, Tensor Output, RoutedExperts? Routing);

    /// <summary>Serves each session with a KV cache: the prompt in one step or one position per step, then one step per decode position, lone or all sessions batched.</summary>
    private static List<List<Served>> Serve(BlockSpan blocks, IReadOnlyList<Tensor> sessions, bool promptStepwise, bool batched)
    {
        var budget = new KvCacheBudget(1L << 28);
        var open = sessions.Select(tokens => blocks.OpenSession(1, (int)tokens.shape[1], budget)).ToList();
        var served = sessions.Select(_ => new List<Served>()).ToList();
        try
        {
            void Record(int s, Tensor input, int position, Tensor output) => served[s].Add(new Served(new InferenceStep
            {
                Step = (ulong)served[s].Count,
                Position = (uint)position,
                Hidden = TensorCodec.Encode(input, TensorCompression.None),
            }, output.to_type(ScalarType.Float32).DetachFromDisposeScope(), open[s].LastRouting));
            Tensor Input(int s, long from, long count) => sessions[s].narrow(1, from, count).to_type(blocks.Options.DType);
            for (var s = 0; s < sessions.Count; s++)
            {
                var prompt = sessions[s].shape[1] - DecodeSteps;
                for (var from = 0L; from < prompt; from += promptStepwise ? 1 : prompt)
                {
                    var input = Input(s, from, promptStepwise ? 1 : prompt);
                    var position = open[s].Position;
                    Record(s, input, position, open[s].Step(input));
                }
            }
            for (var i = DecodeSteps; i > 0; i--)
            {
                var inputs = sessions.Select((tokens, s) => Input(s, tokens.shape[1] - i, 1)).ToList();
                var positions = open.Select(session => session.Position).ToList();
                var outputs = batched ? BatchedDecode.Step(open, inputs) : open.Select((session, s) => session.Step(inputs[s])).ToArray();
                for (var s = 0; s < sessions.Count; s++) Record(s, inputs[s], positions[s], outputs[s]);
            }
        }
        finally
        {
            foreach (var session in open) session.Dispose();
        }
        return served;
    }

    /// <summary>Copies <paramref name="source"/> with router row 2 of every block set to row 1 plus 1e-7 noise (and rows 1 and 2 swapped when <paramref name="swap"/>).</summary>
    private static void WriteWithTiedRouterRows(string source, string target, bool swap)
    {
        Directory.CreateDirectory(target);
        File.Copy(Path.Combine(source, Checkpoint.ConfigFile), Path.Combine(target, Checkpoint.ConfigFile));
        using var file = SafetensorsFile.Open(Path.Combine(source, Checkpoint.SingleFile));
        var tensors = file.Tensors.Keys.Select(name => (name, file.Load(name).clone())).ToList();
        var noise = manual_seed(9);
        for (var i = 0; i < tensors.Count; i++)
        {
            if (!tensors[i].name.EndsWith(".block_sparse_moe.gate.weight", StringComparison.Ordinal)) continue;
            var gate = tensors[i].Item2;
            gate[2] = gate[1] + 1e-7 * randn(gate.shape[1], generator: noise);
            if (swap) tensors[i] = (tensors[i].name, gate.index_select(0, tensor(new long[] { 0, 2, 1, 3, 4, 5, 6, 7 })));
        }
        SafetensorsWriter.Write(Path.Combine(target, Checkpoint.SingleFile), tensors);
        foreach (var (_, t) in tensors) t.Dispose();
    }

    public void Dispose() => TempDirectory.Delete(_directory);
}
