using System.Globalization;
using Peerz.Model.Blocks;
using Peerz.Testing.Processes;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Peerz.Model.Tests.Quantization;

/// <summary>NF4 weights (<see cref="Nf4Weight"/>) against QLoRA's definition, computed independently.</summary>
[Trait("Category", "Process")]
public sealed class Nf4WeightTests(ITestOutputHelper output)
{
    [Fact]
    public async Task The_code_levels_are_the_normal_quantiles_QLoRA_defines()
    {
        // QLoRA (bitsandbytes create_normal_map): with offset δ = (1 − 1/30 + 1 − 1/32) / 2, the positive levels are
        // Φ⁻¹ at 8 points evenly spaced from δ down to ½ (½ itself left out), the negative ones −Φ⁻¹ at 7 such points,
        // plus an exact 0, all divided by the largest. Φ⁻¹ from Python's standard library, not from our code.
        const string script = """
            from statistics import NormalDist
            q = NormalDist().inv_cdf
            d = 0.9677083
            spaced = lambda n: [d + (0.5 - d) * i / (n - 1) for i in range(n)][:-1]
            v = sorted([q(p) for p in spaced(9)] + [-q(p) for p in spaced(8)] + [0.0])
            print(" ".join(repr(x / max(v)) for x in v))
            """;
        using var python = PeerzProcess.StartProgram("python3", ["-c", script]);
        Assert.Equal(0, await python.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        var expected = python.StandardOutput.Trim().Split(' ').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(16, expected.Length);
        var worst = expected.Zip(Nf4Weight.Levels).Max(pair => Math.Abs(pair.First - pair.Second));
        output.WriteLine($"levels vs Φ⁻¹ from Python: max abs diff {worst:E2}");
        // bitsandbytes computed its table in float32 (torch.linspace): 1e-7 differences; float32 resolution near 1 is 6e-8.
        Assert.True(worst < 1e-6, $"a level is {worst} from the definition");
        Assert.Equal(0f, Nf4Weight.Levels[7]);
        Assert.Equal([-1f, 1f], [Nf4Weight.Levels[0], Nf4Weight.Levels[15]]);
    }

    [Theory]
    [InlineData(96, 128, 1)]   // whole blocks: 192 scales, one group
    [InlineData(352, 128, 2)]  // the default model's MLP: 704 scales, three groups (the last partial)
    [InlineData(7, 45, 3)]     // 315 weights: a last block of 59 padded with zeros
    public void Quantize_then_dequantize_equals_the_reference_implementation(int rows, int columns, int seed)
    {
        using var scope = NewDisposeScope();
        // Rows of very different scale, so blocks' absmax spread widely and the 8-bit scales have something to round;
        // one row of zeros (a block whose absmax is 0).
        var weight = randn([rows, columns], generator: manual_seed(seed)) * logspace(-2, 1, rows).unsqueeze(1);
        weight[0] = zeros(columns);
        using var nf4 = Nf4Weight.Quantize(weight);
        var actual = nf4.Dequantize(ScalarType.Float32);
        Assert.Equal(weight.shape, actual.shape);

        var values = weight.flatten().data<float>().ToArray();
        var (expected, tieMargin) = ReferenceNf4.RoundTrip(values, Nf4Weight.Levels);
        var got = actual.flatten().data<float>().ToArray();
        var scaleOfAll = values.Max(Math.Abs);
        var mismatches = Enumerable.Range(0, values.Length).Where(i => Math.Abs(got[i] - expected[i]) > 1e-6 * scaleOfAll).ToList();
        // A value a float32 rounding away from the midpoint of two levels may round to either; nothing else may differ.
        Assert.All(mismatches, i => Assert.True(tieMargin[i] < 1e-6, $"weight {i}: {values[i]} became {got[i]}, the reference gives {expected[i]}"));
        Assert.True(mismatches.Count <= values.Length / 1000, $"{mismatches.Count} of {values.Length} differ");
        Assert.All(Enumerable.Range(0, columns), j => Assert.Equal(0f, got[j]));

        var error = Math.Sqrt(values.Zip(got).Average(p => (p.First - p.Second) * (p.First - p.Second)) / values.Average(v => v * v));
        output.WriteLine($"{rows}×{columns}: {mismatches.Count} near-tie differences; relative RMS error {error:F4}");
    }

    [Fact]
    public void Gaussian_weights_come_back_with_the_relative_error_NF4_is_designed_for()
    {
        using var scope = NewDisposeScope();
        var weight = randn([1024, 1024], generator: manual_seed(11));
        using var nf4 = Nf4Weight.Quantize(weight);
        var relative = ((nf4.Dequantize(ScalarType.Float32) - weight).square().mean() / weight.square().mean()).sqrt().item<float>();
        // Independent estimate: the reference quantizes another N(0,1) sample. NF4's levels are built for normal data
        // and land near 0.1 (about −20 dB); int8 per row is ~0.01. A misplaced level or scale would move this by far more than 5 %.
        var sample = randn([64 * 1024], generator: manual_seed(12)).data<float>().ToArray();
        var (reference, _) = ReferenceNf4.RoundTrip(sample, Nf4Weight.Levels);
        var expected = Math.Sqrt(sample.Zip(reference).Average(p => (p.First - p.Second) * (p.First - p.Second)) / sample.Average(v => v * v));
        output.WriteLine($"relative RMS error of NF4 on N(0,1): {relative:F4} (reference on another sample {expected:F4})");
        Assert.InRange(relative, expected * 0.95, expected * 1.05);
        Assert.InRange(relative, 0.05, 0.15);
    }

    [Fact]
    public void It_holds_4_and_an_eighth_bits_per_weight()
    {
        using var scope = NewDisposeScope();
        const long rows = 4096, columns = 4096, count = rows * columns;
        using var nf4 = Nf4Weight.Quantize(zeros(rows, columns));
        // Half a byte per weight, one byte of scale per 64, a float32 step per 256 scales and the float32 offset.
        Assert.Equal(count / 2 + count / 64 + count / 64 / 256 * 4 + 4, nf4.Bytes);
        output.WriteLine($"{nf4.Bytes * 8.0 / count:F4} bits per weight; a block of 64 weights: {nf4.Bytes * 64.0 / count:F3} bytes (float32 256, int8 per row 64 + 4 per row)");
    }
}
