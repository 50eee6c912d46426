using Peerz.Node.Serving;
using static TorchSharp.torch;

namespace Peerz.Node.Tests;

/// <summary>The chaos soak's cheater: the fault answers about the configured fraction wrong and leaves the rest untouched.</summary>
public sealed class WrongOutputFaultTests
{
    [Fact]
    public void Answers_the_configured_fraction_wrong_and_the_rest_exactly()
    {
        const int Responses = 10_000;
        const double Rate = 0.1;
        var fault = new WrongOutputFault(Rate, new Random(7));
        using var output = randn(2, 3, 8);
        var wrong = 0;
        for (var i = 0; i < Responses; i++)
        {
            using var scope = NewDisposeScope();
            var answer = fault.Apply(output);
            if (ReferenceEquals(answer, output)) continue;
            wrong++;
            // Every element is off by one: far outside any verifier tolerance (docs/verification.md).
            Assert.True(allclose(answer - output, ones_like(output), rtol: 0, atol: 1e-6));
        }
        Assert.Equal(wrong, fault.Injected);
        // Binomial(10 000, 0.1): mean 1000, standard deviation 30; 6 deviations either way fails by chance ~1e-9.
        Assert.InRange(wrong, 1000 - 180, 1000 + 180);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void Is_off_unless_the_variable_is_set(string? text) => Assert.Null(WrongOutputFault.FromVariable(text));

    [Theory]
    [InlineData("0")]
    [InlineData("1.5")]
    [InlineData("-0.1")]
    [InlineData("often")]
    public void A_bad_rate_is_an_error_naming_the_variable(string text)
    {
        var error = Assert.Throws<FormatException>(() => WrongOutputFault.FromVariable(text));
        Assert.Contains(WrongOutputFault.RateVariable, error.Message);
    }
}
