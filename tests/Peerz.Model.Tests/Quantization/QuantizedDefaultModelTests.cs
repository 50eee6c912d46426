using Peerz.Model.Blocks;
using Peerz.Model.Checkpoints;
using Peerz.Model.Generation;
using Peerz.Model.Tiny;
using Peerz.Model.Tokenization;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Peerz.Model.Tests.Quantization;

/// <summary>
/// The shipped default model (trained weights, not random ones) with int8 and NF4 weights against float32, on 1024
/// positions of stories it never saw: logit error, top-1 agreement, held-out loss and weight memory.
/// </summary>
public sealed class QuantizedDefaultModelTests : IDisposable
{
    private const int Windows = 8, WindowLength = 128;

    private readonly string _directory = TempDirectory.Create("default-model-quantized");
    private readonly ITestOutputHelper _output;

    public QuantizedDefaultModelTests(ITestOutputHelper output)
    {
        _output = output;
        TrainedTinyModel.WriteTo(_directory);
    }

    /// <summary>
    /// Why the bounds hold. Let ε be the relative RMS error of the quantized weights, ‖Ŵ − W‖ / ‖W‖ over all block
    /// projections (computed here from the checkpoint, apart from the forward pass). Errors of different weights are
    /// independent, so a projection's output errs by about ε of its size (Var Σ δw·x = Σ δw²x² ≈ ε² Σ w²x²). In a pre-norm
    /// residual stack every block adds its error to a stream that carries the exact part too, so the relative error of
    /// the last hidden state, and of the logits the unquantized head makes from it, stays of order ε rather than growing
    /// with depth: measured 0.97 ε (nf4) and 0.97 ε (int8). Bound: 2 ε.
    /// Top-1 flips where the error of (l₁ − l₂) exceeds the float32 margin m = l₁ − l₂. If the logits of a position erred
    /// independently with RMS r·σ (σ their spread there), that error is N(0, 2r²σ²) and the position flips with probability
    /// Φ(−m / (√2 r σ)); summed over the float32 margins with r = 2 ε this predicts the agreement the test requires (93.3 %
    /// for nf4; measured 97.8 %: the errors of neighbouring logits are correlated, so the prediction is conservative).
    /// </summary>
    [Theory]
    [InlineData(WeightQuantization.Int8, 3)]  // per row: 4 + 1/row bytes per 4-byte weight, 3.9× smaller
    [InlineData(WeightQuantization.Nf4, 7)]   // 4.127 bits per 32-bit weight, 7.75× smaller
    public void Logits_err_by_the_weights_relative_error_and_top_1_agrees_as_that_error_predicts(WeightQuantization mode, int smallerThanFloat32)
    {
        var epsilon = WeightError(mode);
        var tokenizer = Tokenizer.Load(Path.Combine(_directory, Checkpoint.TokenizerFile));
        // Seed 977 is neither the training (42) nor the recipe's held-out text (43).
        var text = tokenizer.Encode(StoryCorpus.Generate(977, 20_000), addSpecialTokens: false);
        Assert.True(text.Length > Windows * (WindowLength + 1), "not enough held-out text");
        using var reference = LocalModel.Load(_directory);
        using var quantized = LocalModel.Load(_directory, new BlockLoadOptions { Quantization = mode });

        double spread = 0, squaredError = 0, worst = 0, referenceLoss = 0, quantizedLoss = 0;
        var margins = new List<(double Margin, double Spread)>();
        var agreeing = 0;
        for (var w = 0; w < Windows; w++)
        {
            var window = text.Skip(w * (WindowLength + 1)).Take(WindowLength + 1).ToArray();
            var expected = reference.Logits(window[..^1]);
            var actual = quantized.Logits(window[..^1]);
            for (var p = 0; p < WindowLength; p++)
            {
                var (e, a) = (expected[p], actual[p]);
                var mean = e.Average(v => (double)v);
                var variance = e.Average(v => (v - mean) * (v - mean));
                spread += variance;
                squaredError += e.Zip(a).Average(x => (double)(x.First - x.Second) * (x.First - x.Second));
                worst = Math.Max(worst, e.Zip(a).Max(x => Math.Abs(x.First - x.Second)) / Math.Sqrt(variance));
                var top = e.OrderDescending().Take(2).ToArray();
                margins.Add((top[0] - top[1], Math.Sqrt(variance)));
                agreeing += TokenSampler.ArgMax(e) == TokenSampler.ArgMax(a) ? 1 : 0;
                referenceLoss += LogSumExp(e) - e[window[p + 1]];
                quantizedLoss += LogSumExp(a) - a[window[p + 1]];
            }
        }
        var positions = Windows * WindowLength;
        var relative = Math.Sqrt(squaredError / spread);
        var agreement = (double)agreeing / positions;
        var predicted = 1 - margins.Average(m => NormalCdf(-m.Margin / (Math.Sqrt(2) * 2 * epsilon * m.Spread)));
        var perBlock = quantized.Blocks.WeightBytes / quantized.Blocks.Config.NumLayers;
        var perBlockFloat32 = reference.Blocks.WeightBytes / reference.Blocks.Config.NumLayers;
        _output.WriteLine($"{mode}: weight error ε {epsilon:F4}; logits: relative RMS error {relative:F4} ({relative / epsilon:F2} ε), worst value {worst:F3} of its position's spread; "
            + $"top-1 agreement {agreeing}/{positions} = {agreement:P2} (predicted at 2 ε ≥ {predicted:P2}); held-out loss {referenceLoss / positions:F4} → {quantizedLoss / positions:F4} nats/token; "
            + $"weights per block {perBlock} bytes (float32 {perBlockFloat32}, {(double)perBlockFloat32 / perBlock:F2}× smaller)");

        Assert.True(relative <= 2 * epsilon, $"{mode}: logits err by {relative:F4} of their spread, more than twice the weights' {epsilon:F4}");
        Assert.True(agreement >= predicted, $"{mode}: top-1 agreement {agreement:P2} is below the {predicted:P2} that errors of 2 ε predict");
        // What a user sees: the model predicts the stories as well as before (measured: within 0.0002 nats of 0.295).
        Assert.True(quantizedLoss <= referenceLoss * 1.02, $"{mode}: held-out loss {quantizedLoss / positions:F4} vs float32 {referenceLoss / positions:F4}");
        Assert.True(perBlock * smallerThanFloat32 < perBlockFloat32, $"{mode}: {perBlock} bytes per block vs float32 {perBlockFloat32}");
    }

    /// <summary>‖Ŵ − W‖ / ‖W‖ over every block projection of the checkpoint, quantized as <paramref name="mode"/> does.</summary>
    private double WeightError(WeightQuantization mode)
    {
        double error = 0, norm = 0;
        using var checkpoint = Checkpoint.Open(_directory);
        checkpoint.TensorLoaded += (name, weight) =>
        {
            if (!name.EndsWith("_proj.weight", StringComparison.Ordinal)) return;
            using var scope = NewDisposeScope();
            var w = weight.to_type(ScalarType.Float32);
            Tensor restored;
            if (mode == WeightQuantization.Nf4)
            {
                using var nf4 = Nf4Weight.Quantize(w);
                restored = nf4.Dequantize(ScalarType.Float32);
            }
            else
            {
                var (q, scale) = Projection.QuantizeRows(w);
                restored = q.to_type(ScalarType.Float32) * scale.unsqueeze(1);
            }
            error += (restored - w).square().sum().item<float>();
            norm += w.square().sum().item<float>();
        };
        using (BlockSpan.Load(checkpoint, 0, checkpoint.Config.NumLayers)) { }
        return Math.Sqrt(error / norm);
    }

    private static double LogSumExp(float[] values)
    {
        var max = values.Max();
        return max + Math.Log(values.Sum(v => Math.Exp(v - max)));
    }

    /// <summary>Φ(x) through erfc by Abramowitz &amp; Stegun 7.1.26 (absolute error below 1.5e-7).</summary>
    private static double NormalCdf(double x)
    {
        var z = Math.Abs(x) / Math.Sqrt(2);
        var t = 1 / (1 + 0.3275911 * z);
        var erfc = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) * Math.Exp(-z * z);
        return x < 0 ? erfc / 2 : 1 - erfc / 2;
    }

    public void Dispose() => TempDirectory.Delete(_directory);
}
