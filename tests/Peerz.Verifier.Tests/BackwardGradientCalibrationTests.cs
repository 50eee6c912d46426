using Google.Protobuf;
using Peerz.Model.Adapters;
using Peerz.Model.Blocks;
using Peerz.Model.Checkpoints;
using Peerz.Model.Client;
using Peerz.Model.Tiny;
using Peerz.Protocol.Tensors;
using Peerz.Protocol.Wire;
using Peerz.Testing;
using Peerz.Verifier.Verification;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Peerz.Verifier.Tests;

/// <summary>
/// The calibration of the verifier's check of backward answers, gradient by gradient (<see cref="BackwardComparison"/>):
/// honest providers in float32, bfloat16, float16, int8 and nf4 answer prompt-tuning and LoRA backward requests (a fresh adapter,
/// whose B is zero so A's gradient is exactly zero, and a trained one), with every output compression, on the tests' tiny
/// model (random weights) and the shipped default model (trained, inputs embedded from tokens); the verifier replays each
/// request with its own code and judges it at the gradient tolerance of the mode (<see cref="VerificationTolerances.GradientsFor"/>). None may
/// be flagged, and the honest divergence of each gradient kind is printed (docs/verification.md). Answers with the right
/// input gradient but scaled, zeroed or noisy prompt or adapter gradients must be flagged, naming the gradient.
/// </summary>
public sealed class BackwardGradientCalibrationTests : IClassFixture<TinyModelFixture>, IDisposable
{
    private static readonly string[] Modules = ["q_proj", "v_proj", "down_proj"];

    private static readonly (string DType, string Quantization, BlockLoadOptions Load)[] Modes =
    [
        ("float32", "none", new BlockLoadOptions()),
        ("bfloat16", "none", new BlockLoadOptions { DType = ScalarType.BFloat16 }),
        ("float32", "int8", new BlockLoadOptions { Quantization = WeightQuantization.Int8 }),
        ("float32", "nf4", new BlockLoadOptions { Quantization = WeightQuantization.Nf4 }),
        ("float16", "none", new BlockLoadOptions { DType = ScalarType.Float16 }),
    ];

    private readonly TinyModelFixture _model;
    private readonly ITestOutputHelper _output;
    private readonly string _defaultModel = TempDirectory.Create("backward-calibration");
    private readonly VerificationTolerances _tolerances = new();

    public BackwardGradientCalibrationTests(TinyModelFixture model, ITestOutputHelper output)
    {
        (_model, _output) = (model, output);
        TrainedTinyModel.WriteTo(_defaultModel);
    }

    public void Dispose() => TempDirectory.Delete(_defaultModel);

    [Fact]
    public void Honest_backward_answers_pass_gradient_by_gradient_in_every_mode()
    {
        var divergences = new List<(string Model, string Mode, string Kind, double Divergence, double Tolerance)>();
        foreach (var (name, directory) in new[] { ("tiny 4x64", _model.Directory), ("default model", _defaultModel) })
        {
            using var checkpoint = Checkpoint.Open(directory);
            using var head = ClientHead.Load(checkpoint);
            using var recomputer = new SpanRecomputer(checkpoint, TensorLimits.Default);
            var layers = checkpoint.Config.NumLayers;
            foreach (var (dtype, quantization, load) in Modes)
            {
                var mode = quantization == "none" ? dtype : quantization;
                var tolerance = _tolerances.GradientsFor(dtype, quantization);
                var spans = new[] { (0, layers), (1, layers - 1) };
                var requests = 0;
                foreach (var (start, end) in spans)
                {
                    using var provider = BlockSpan.Load(checkpoint, start, end, load);
                    // Float16 runs slowly on CPU (no native half kernels): its requests are the uncompressed ones only.
                    foreach (var request in Requests(checkpoint, head, start, end).Where(r => load.DType != ScalarType.Float16 || r.Request.OutputCompression == TensorCompression.None))
                    {
                        using var scope = NewDisposeScope();
                        var answer = Answer(provider, request.Request);
                        var expected = recomputer.Backward(request.Request, SpanRecomputer.ReplayWeights(quantization));
                        foreach (var part in BackwardComparison.Divergences(expected, answer, TensorLimits.Default))
                        {
                            var kind = Kind(part.Name, request.FreshAdapter);
                            divergences.Add((name, mode, kind, part.Divergence, tolerance));
                            Assert.True(part.Divergence <= tolerance, $"{name} {mode} {request.Label}: {part.Name} is {part.Divergence:G3} (tolerance {tolerance:G3})");
                            // B = 0: A's gradient is exactly zero in every mode, and so must the honest answer be.
                            if (kind == "lora_A at B = 0") Assert.Equal(0, part.Divergence);
                        }
                        requests++;
                    }
                }
                _output.WriteLine($"{name} {mode}: {requests} honest backward answers, tolerance {tolerance:G3}");
            }
        }
        _output.WriteLine("model | mode | gradient | compared | honest max | mean | tolerance / max");
        foreach (var group in divergences.GroupBy(d => (d.Model, d.Mode, d.Kind)))
        {
            var max = group.Max(d => d.Divergence);
            var tolerance = group.First().Tolerance;
            _output.WriteLine($"{group.Key.Model} | {group.Key.Mode} | {group.Key.Kind} | {group.Count()} | {max:E2} | {group.Average(d => d.Divergence):E2} | {(max == 0 ? "exact" : $"{tolerance / max:F0}x")}");
        }
    }

    [Theory]
    [InlineData("float32", "none")]
    [InlineData("bfloat16", "none")]
    [InlineData("float32", "int8")]
    [InlineData("float32", "nf4")]
    [InlineData("float16", "none")]
    public void Right_input_gradients_with_poisoned_prompt_or_adapter_gradients_are_flagged(string dtype, string quantization)
    {
        using var checkpoint = Checkpoint.Open(_model.Directory);
        using var head = ClientHead.Load(checkpoint);
        using var recomputer = new SpanRecomputer(checkpoint, TensorLimits.Default);
        var load = Modes.Single(m => m.DType == dtype && m.Quantization == quantization).Load;
        var tolerance = _tolerances.GradientsFor(dtype, quantization);
        using var provider = BlockSpan.Load(checkpoint, 1, 3, load);
        var trained = Build(checkpoint.Config, head, 1, 3, 2, 11, TensorCompression.None, "prompts and trained adapter", 7);
        var fresh = Build(checkpoint.Config, head, 1, 3, 2, 11, TensorCompression.BlockwiseInt8, "fresh adapter", 8);
        using var scope = NewDisposeScope();
        var noise = manual_seed(9);
        Tensor Noisy(Tensor t, double relative) => t + randn(t.shape, generator: noise) * (t.norm() / Math.Sqrt(t.numel()) * relative);
        // Zeroed, negated, halved, doubled or missing gradients are beyond every mode's gradient tolerance; 10 % noise beyond
        // float16's, float32's and NF4's (replayed with NF4 weights), 1 % beyond float32's and NF4's.
        var poisons = new List<(string Label, Case Request, string Gradient, Action<BackwardResponse, LoraAdapter?> Poison)>
        {
            ("prompt gradient zeroed", trained, "the prompt gradient", (r, _) => r.PromptGradient = Map(r.PromptGradient, t => zeros_like(t))),
            ("prompt gradient halved", trained, "the prompt gradient", (r, _) => r.PromptGradient = Map(r.PromptGradient, t => t * 0.5)),
            ("prompt gradient doubled", trained, "the prompt gradient", (r, _) => r.PromptGradient = Map(r.PromptGradient, t => t * 2)),
            ("LoRA gradients zeroed", trained, "lora_", (r, sent) => r.AdapterGradient = MapAdapter(r.AdapterGradient, sent!, (_, t) => zeros_like(t))),
            ("LoRA gradients negated", trained, "lora_", (r, sent) => r.AdapterGradient = MapAdapter(r.AdapterGradient, sent!, (_, t) => -t)),
            ("one lora_B gradient halved", trained, "block 2 v_proj lora_B", (r, sent) => r.AdapterGradient = MapAdapter(r.AdapterGradient, sent!, (name, t) => name == "2 v_proj lora_B" ? t * 0.5 : t)),
            ("LoRA gradients missing", trained, "the LoRA gradients", (r, _) => r.AdapterGradient = null),
            ("a lora_A gradient of 1e-9 where B = 0 makes it exactly zero", fresh, "block 1 q_proj lora_A",
                (r, sent) => r.AdapterGradient = MapAdapter(r.AdapterGradient, sent!, (name, t) => name == "1 q_proj lora_A" ? t + 1e-9 : t)),
        };
        if (tolerance < 0.1)
        {
            poisons.Add(("prompt gradient with 10 % noise", trained, "the prompt gradient", (r, _) => r.PromptGradient = Map(r.PromptGradient, t => Noisy(t, 0.1))));
            poisons.Add(("LoRA gradients with 10 % noise", trained, "lora_", (r, sent) => r.AdapterGradient = MapAdapter(r.AdapterGradient, sent!, (_, t) => Noisy(t, 0.1))));
        }
        if (tolerance < 1e-2)
        {
            poisons.Add(("prompt gradient with 1 % noise", trained, "the prompt gradient", (r, _) => r.PromptGradient = Map(r.PromptGradient, t => Noisy(t, 0.01))));
            poisons.Add(("LoRA gradients with 1 % noise", trained, "lora_", (r, sent) => r.AdapterGradient = MapAdapter(r.AdapterGradient, sent!, (_, t) => Noisy(t, 0.01))));
        }

        var replayWeights = SpanRecomputer.ReplayWeights(quantization);
        foreach (var (label, request, gradient, poison) in poisons)
        {
            var honest = Answer(provider, request.Request);
            var expected = recomputer.Backward(request.Request, replayWeights);
            using var sent = LoraCodec.Decode(request.Request.Adapter, checkpoint.Config, 1, 3, long.MaxValue);
            var poisoned = honest.Clone();
            poison(poisoned, sent);
            var parts = BackwardComparison.Divergences(expected, BackwardResponse.Parser.ParseFrom(poisoned.ToByteArray()), TensorLimits.Default);
            var worst = parts.MaxBy(p => p.Divergence)!;
            _output.WriteLine($"{dtype}/{quantization} {label}: {worst.Name} {worst.Divergence:G3} (tolerance {tolerance:G3}); input gradient {parts[0].Divergence:G3}");
            // The input gradient is right: the check of it alone (all the verifier compared before) passes.
            Assert.True(parts[0].Divergence <= tolerance, $"{label}: the input gradient is {parts[0].Divergence}");
            Assert.True(worst.Divergence > tolerance, $"{label}: {worst.Name} is only {worst.Divergence:G3} away (tolerance {tolerance:G3})");
            Assert.Contains(gradient, worst.Name, StringComparison.Ordinal);
            Assert.True(BackwardComparison.Divergences(expected, honest, TensorLimits.Default).All(p => p.Divergence <= tolerance), $"{label}: the honest answer is flagged");
            if (dtype == "float32" && quantization == "none")
            {
                // The recomputed response behind a slash proposal is what this honest float32 provider answered, byte for byte.
                Assert.Equal(Protocol.Payments.WorkBytes.Output(honest), Protocol.Payments.WorkBytes.Output(BackwardComparison.Honest(expected, poisoned)));
            }
        }
    }

    private static SerializedTensor Map(SerializedTensor message, Func<Tensor, Tensor> change) =>
        TensorCodec.Encode(change(TensorCodec.Decode(message, TensorLimits.Default)), message.Compression);

    /// <summary>The adapter gradients with <paramref name="change"/> applied to each tensor, named "block module lora_A|lora_B".</summary>
    private static LoraTensors MapAdapter(LoraTensors message, LoraAdapter sent, Func<string, Tensor, Tensor> change)
    {
        using var gradients = LoraCodec.DecodeGradients(message, sent);
        using var changed = new LoraAdapter(gradients.Scaling, gradients.Weights.Select(w => w with
        {
            A = change($"{w.Block} {w.Module} lora_A", w.A),
            B = change($"{w.Block} {w.Module} lora_B", w.B),
        }).ToList());
        return LoraCodec.Encode(changed);
    }

    /// <summary>A backward request with what it carries, and whether its adapter is fresh (B = 0).</summary>
    private sealed record Case(string Label, BackwardRequest Request, bool FreshAdapter);

    /// <summary>
    /// Backward requests for blocks [start, end): deep prompts alone, a fresh adapter, a trained adapter, and prompts with a
    /// trained adapter; batches of 1 and 3 rows; every output compression. Inputs are token embeddings (the client head's),
    /// output gradients unit Gaussian over the number of positions (a mean loss's scale).
    /// </summary>
    private static IEnumerable<Case> Requests(Checkpoint checkpoint, ClientHead head, int start, int end)
    {
        var seed = 100 * start + end;
        foreach (var (batch, length) in new[] { (1, 9), (3, 17) })
        {
            foreach (var compression in new[] { TensorCompression.None, TensorCompression.Float16, TensorCompression.BlockwiseInt8 })
            {
                foreach (var carries in new[] { "prompts", "fresh adapter", "trained adapter", "prompts and trained adapter" })
                {
                    seed++;
                    yield return Build(checkpoint.Config, head, start, end, batch, length, compression, carries, seed);
                }
            }
        }
    }

    private static Case Build(Model.Configuration.ModelConfig config, ClientHead head, int start, int end, int batch, int length, TensorCompression compression, string carries, int seed)
    {
        using var scope = NewDisposeScope();
        var generator = manual_seed(seed);
        var tokens = randint(0, config.VocabSize, [batch, length], ScalarType.Int64, generator: generator);
        var hidden = head.Embed(tokens);
        var outputGradient = randn([batch, length, config.HiddenSize], generator: generator) / length;
        var request = new BackwardRequest
        {
            ModelId = "model",
            BlockStart = (uint)start,
            BlockEnd = (uint)end,
            Hidden = TensorCodec.Encode(hidden, TensorCompression.None),
            OutputGradient = TensorCodec.Encode(outputGradient, TensorCompression.None),
            OutputCompression = compression,
        };
        if (carries.Contains("prompts", StringComparison.Ordinal))
            request.Prompts = TensorCodec.Encode(randn([end - start, 4, config.HiddenSize], generator: generator) * hidden.std(), TensorCompression.None);
        var fresh = carries.Contains("fresh", StringComparison.Ordinal);
        if (carries.Contains("adapter", StringComparison.Ordinal))
        {
            using var full = fresh
                ? LoraAdapter.Create(config, 0, config.NumLayers, Modules, rank: 4, alpha: 8, seed: seed)
                : LoraTestAdapters.Trained(config, Modules, seed);
            using var adapter = full.Slice(start, end);
            request.Adapter = LoraCodec.Encode(adapter);
        }
        return new Case($"{carries}, batch {batch} × {length}, {compression} output", request, fresh);
    }

    /// <summary>What an honest provider answers (TrainingProtocols.HandleBackwardAsync), through its wire bytes.</summary>
    private static BackwardResponse Answer(BlockSpan provider, BackwardRequest request)
    {
        using var adapter = request.Adapter is null ? null : LoraCodec.Decode(request.Adapter, provider.Config, (int)request.BlockStart, (int)request.BlockEnd, long.MaxValue);
        var hidden = TensorCodec.Decode(request.Hidden, TensorLimits.Default);
        var prompts = request.Prompts is null ? null : TensorCodec.Decode(request.Prompts, TensorLimits.Default);
        using var gradients = provider.Backward(hidden, prompts, TensorCodec.Decode(request.OutputGradient, TensorLimits.Default), adapter: adapter);
        var response = new BackwardResponse { InputGradient = TensorCodec.Encode(gradients.Input, request.OutputCompression) };
        if (gradients.Prompts is { } promptGradient) response.PromptGradient = TensorCodec.Encode(promptGradient, request.OutputCompression);
        if (gradients.Adapter is { } adapterGradient) response.AdapterGradient = LoraCodec.Encode(adapterGradient);
        return BackwardResponse.Parser.ParseFrom(response.ToByteArray());
    }

    private static string Kind(string name, bool freshAdapter) => name switch
    {
        "the input gradient" => "input",
        "the prompt gradient" => "prompts",
        _ when name.EndsWith("lora_A", StringComparison.Ordinal) => freshAdapter ? "lora_A at B = 0" : "lora_A",
        _ when name.EndsWith("lora_B", StringComparison.Ordinal) => freshAdapter ? "lora_B at B = 0" : "lora_B",
        _ => name,
    };
}
