using Peerz.Model.Blocks;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Peerz.Model.Tests.Quantization;

/// <summary>
/// <see cref="QuantizedMatmul"/> against x · Wᵀ in float64 over the same dequantized weights, for both its paths (the
/// dot-product kernel for up to <see cref="QuantizedMatmul.KernelMaxInputRows"/> rows of x, torch's matmul over
/// chunks of rows beyond) and for shapes whose rows split NF4 blocks and SIMD widths; and the gradient with respect to x
/// (what backward requests through int8 and NF4 spans return) against g · W in float64, for the same shapes.
/// </summary>
public sealed class QuantizedMatmulTests(ITestOutputHelper output)
{
    public static TheoryData<int, int, int> Shapes => new()
    {
        { 96, 128, 1 }, { 96, 128, 8 }, { 96, 128, 9 },  // whole NF4 blocks per row
        { 33, 77, 1 }, { 33, 77, 3 }, { 33, 77, 40 },    // rows start inside blocks and bytes; tails shorter than a vector
        { 1100, 1000, 2 }, { 1100, 1000, 16 },           // several tiles per thread; prefill in two chunks of rows
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Nf4_matmul_equals_float64_over_the_dequantized_weights(int rows, int columns, int inputs)
    {
        using var scope = NewDisposeScope();
        using var nf4 = Nf4Weight.Quantize(randn([rows, columns], generator: manual_seed(rows)));
        AssertMatchesFloat64(nf4, nf4.Dequantize(ScalarType.Float32), inputs);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Int8_matmul_equals_float64_over_the_codes(int rows, int columns, int inputs)
    {
        using var scope = NewDisposeScope();
        var (codes, _) = Projection.QuantizeRows(randn([rows, columns], generator: manual_seed(rows)));
        var reference = codes.to_type(ScalarType.Float32);
        using var int8 = new Int8Weight(codes);
        AssertMatchesFloat64(int8, reference, inputs);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Nf4_and_int8_input_gradients_equal_float64_over_the_dequantized_weights(int rows, int columns, int inputs)
    {
        using var scope = NewDisposeScope();
        using var nf4 = Nf4Weight.Quantize(randn([rows, columns], generator: manual_seed(rows)));
        AssertGradientMatchesFloat64(nf4, nf4.Dequantize(ScalarType.Float32), inputs);
        var (codes, _) = Projection.QuantizeRows(randn([rows, columns], generator: manual_seed(rows)));
        using var int8 = new Int8Weight(codes);
        AssertGradientMatchesFloat64(int8, codes.to_type(ScalarType.Float32), inputs);
    }

    [Fact]
    public void Nf4_rows_come_out_as_the_whole_matrix_does()
    {
        using var scope = NewDisposeScope();
        using var nf4 = Nf4Weight.Quantize(randn([33, 77], generator: manual_seed(3)));
        var whole = nf4.Dequantize(ScalarType.Float32);
        var rows = new float[5 * 77];
        nf4.DequantizeRows(11, 5, rows);
        Assert.Equal(whole.narrow(0, 11, 5).flatten().data<float>().ToArray(), rows);
        Assert.Throws<ArgumentOutOfRangeException>(() => nf4.DequantizeRows(30, 5, new float[5 * 77]));
    }

    [Fact]
    public void An_input_of_the_wrong_width_is_refused()
    {
        using var scope = NewDisposeScope();
        using var nf4 = Nf4Weight.Quantize(randn([8, 64]));
        var error = Assert.Throws<ArgumentException>(() => QuantizedMatmul.Linear(randn([1, 63]), nf4));
        Assert.Contains("63", error.Message);
    }

    /// <summary>
    /// The gradient of ⟨g, x · Wᵀ⟩ with respect to x is g · W; the bound is the forward one (<see cref="AssertMatchesFloat64"/>)
    /// with K = the weight's rows. Before gradients were routed around the kernel and the reused scratch chunk, up to 8 rows
    /// got no gradient at all and two chunks of rows got the last chunk's weights twice.
    /// </summary>
    private void AssertGradientMatchesFloat64(IQuantizedRows weight, Tensor dequantized, int inputs)
    {
        var x = randn([inputs, weight.Columns], generator: manual_seed(inputs)).requires_grad_(true);
        var g = randn([inputs, weight.Rows], generator: manual_seed(inputs + 1));
        Tensor gradient;
        using (enable_grad())
            gradient = autograd.grad([QuantizedMatmul.Linear(x, weight)], [x], [g])[0];
        var expected = mm(g.to_type(ScalarType.Float64), dequantized.to_type(ScalarType.Float64));
        var magnitude = mm(g.abs().to_type(ScalarType.Float64), dequantized.abs().to_type(ScalarType.Float64));
        var error = (gradient.to_type(ScalarType.Float64) - expected).abs();
        var worst = (error / magnitude).max().item<double>();
        output.WriteLine($"{weight.Rows}×{weight.Columns}, {inputs} inputs, gradient: {worst:E2} of Σ|g||w|");
        Assert.True(worst <= 1e-6, $"a gradient errs by {worst:E2} of Σ|g||w|");
    }

    /// <summary>
    /// Bound: float32 summation of K products errs by at most about K·u·Σ|x||w| (u = 2⁻²⁴); in practice √K·u, so
    /// 1e-6 × Σ|x||w| per output holds with a margin for K ≤ 1000 and fails for any wrong weight or row.
    /// </summary>
    private void AssertMatchesFloat64(IQuantizedRows weight, Tensor dequantized, int inputs)
    {
        var x = randn([inputs, weight.Columns], generator: manual_seed(inputs));
        var expected = mm(x.to_type(ScalarType.Float64), dequantized.to_type(ScalarType.Float64).t());
        var magnitude = mm(x.abs().to_type(ScalarType.Float64), dequantized.abs().to_type(ScalarType.Float64).t());
        var actual = QuantizedMatmul.Linear(x.view(1, inputs, weight.Columns), weight);
        Assert.Equal([1L, inputs, weight.Rows], actual.shape);
        var error = (actual[0].to_type(ScalarType.Float64) - expected).abs();
        var worst = (error / magnitude).max().item<double>();
        output.WriteLine($"{weight.Rows}×{weight.Columns}, {inputs} inputs: max abs error {error.max().item<double>():E2}, {worst:E2} of Σ|x||w|");
        Assert.True(worst <= 1e-6, $"an output errs by {worst:E2} of Σ|x||w|");
    }
}
