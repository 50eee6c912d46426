using Peerz.Model.Blocks;
using static TorchSharp.torch;

namespace Peerz.Model.Tests;

public sealed class LayerNormTests
{
    [Theory]
    [InlineData(ScalarType.Float32, 1e-5)]
    [InlineData(ScalarType.BFloat16, 2e-2)] // bf16 keeps 8 bits of mantissa: outputs of magnitude ~3 round by ~1e-2
    public void Normalizes_each_row_to_zero_mean_unit_variance_then_scales_and_shifts(ScalarType dtype, double tolerance)
    {
        using var scope = NewDisposeScope();
        var generator = manual_seed(3);
        // Rows with a large offset: the mean must be subtracted before squaring, or float32 loses the variance.
        var input = (randn([2, 3, 16], ScalarType.Float64, generator: generator) * 2 + 100).to_type(dtype);
        var weight = randn([16], ScalarType.Float64, generator: generator);
        var bias = randn([16], ScalarType.Float64, generator: generator);
        using var norm = new LayerNorm(weight.to_type(dtype), bias.to_type(dtype), 1e-5);

        var output = norm.Forward(input);

        Assert.Equal(dtype, output.dtype);
        var rows = input.to_type(ScalarType.Float64).reshape(-1, 16).data<double>().ToArray();
        var actual = output.to_type(ScalarType.Float64).reshape(-1).data<double>().ToArray();
        var w = weight.to_type(dtype).to_type(ScalarType.Float64).data<double>().ToArray();
        var b = bias.to_type(dtype).to_type(ScalarType.Float64).data<double>().ToArray();
        double worst = 0;
        for (var row = 0; row < 6; row++)
        {
            var x = rows.AsSpan(row * 16, 16).ToArray();
            var mean = x.Average();
            var variance = x.Select(v => (v - mean) * (v - mean)).Average();
            for (var i = 0; i < 16; i++)
                worst = Math.Max(worst, Math.Abs((x[i] - mean) / Math.Sqrt(variance + 1e-5) * w[i] + b[i] - actual[row * 16 + i]));
        }
        Assert.True(worst <= tolerance, $"max abs diff {worst}");
    }

    [Fact]
    public void A_bias_of_another_shape_is_refused()
    {
        using var weight = ones(8);
        using var bias = zeros(4);
        var error = Assert.Throws<ArgumentException>(() => new LayerNorm(weight, bias, 1e-5));
        Assert.Contains("same shape", error.Message);
    }
}
