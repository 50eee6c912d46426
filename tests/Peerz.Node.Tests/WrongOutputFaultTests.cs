using Peerz.Node.Serving;
using Peerz.Protocol.Tensors;
using Peerz.Protocol.Wire;
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

    [Fact]
    public void A_wrong_backward_answer_keeps_its_input_gradient_and_shifts_the_prompt_and_adapter_gradients()
    {
        using var scope = NewDisposeScope();
        var (input, prompts, a, b) = (randn(2, 3, 8), randn(1, 2, 8), randn(4, 8), zeros(8, 4));
        SerializedTensor Encoded(Tensor t) => TensorCodec.Encode(t, TensorCompression.None);
        Tensor Decoded(SerializedTensor t) => TensorCodec.Decode(t, TensorLimits.Default);
        var response = new BackwardResponse { InputGradient = Encoded(input), PromptGradient = Encoded(prompts), AdapterGradient = new LoraTensors { Scaling = 2 } };
        response.AdapterGradient.Projections.Add(new LoraProjection { Block = 1, Module = "q_proj", A = Encoded(a), B = Encoded(b) });
        var plain = new BackwardResponse { InputGradient = Encoded(input) };
        var fault = new WrongOutputFault(1, new Random(1));

        fault.Apply(response);
        fault.Apply(plain);

        Assert.Equal(2, fault.Injected);
        Assert.True(allclose(Decoded(response.InputGradient), input, rtol: 0, atol: 0));
        Assert.True(allclose(Decoded(response.PromptGradient) - prompts, ones_like(prompts), rtol: 0, atol: 1e-6));
        Assert.True(allclose(Decoded(response.AdapterGradient.Projections[0].A) - a, ones_like(a), rtol: 0, atol: 1e-6));
        Assert.True(allclose(Decoded(response.AdapterGradient.Projections[0].B), ones_like(b), rtol: 0, atol: 0));
        // Without prompt or adapter gradients, the input gradient is what is wrong.
        Assert.True(allclose(Decoded(plain.InputGradient) - input, ones_like(input), rtol: 0, atol: 1e-6));
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
