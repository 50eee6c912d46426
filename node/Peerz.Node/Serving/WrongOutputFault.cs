using Peerz.Protocol.Tensors;
using Peerz.Protocol.Wire;
using static TorchSharp.torch;

namespace Peerz.Node.Serving;

/// <summary>
/// Fault injection for the chaos soak: answers a fraction <see cref="Rate"/> of responses with a wrong output, signed
/// like an honest one, as a provider that cheats at a small rate would. peerz-provider turns it on only through the
/// <see cref="RateVariable"/> environment variable (no flag, no config key), and says so loudly at start: a provider
/// running with it is slashed once a verifier checks a wrong answer.
/// </summary>
public sealed class WrongOutputFault
{
    public const string RateVariable = "PEERZ_FAULT_WRONG_OUTPUT_RATE";

    private readonly Random _random;
    private long _injected;

    public WrongOutputFault(double rate, Random random)
    {
        if (!(rate is > 0 and <= 1)) throw new ArgumentOutOfRangeException(nameof(rate), rate, "the rate of wrong answers must be in (0, 1]");
        Rate = rate;
        _random = random;
    }

    public double Rate { get; }

    /// <summary>Responses answered wrong so far.</summary>
    public long Injected => Interlocked.Read(ref _injected);

    /// <summary>The rate in <paramref name="text"/> (the variable's value), or null when unset; a bad value is an error, never ignored.</summary>
    public static WrongOutputFault? FromVariable(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        if (!double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var rate) || !(rate is > 0 and <= 1))
            throw new FormatException($"{RateVariable}='{text}' must be a number in (0, 1]");
        return new WrongOutputFault(rate, new Random());
    }

    /// <summary>
    /// <paramref name="output"/> itself, or with probability <see cref="Rate"/> the output shifted by one in every element:
    /// far outside any float tolerance, the way a cheaper model's answer is.
    /// </summary>
    public Tensor Apply(Tensor output) => Wrong() ? output + 1.0 : output;

    /// <summary>
    /// A backward answer as computed, or with probability <see cref="Rate"/> with the gradients of the client's prompts and
    /// LoRA weights shifted by one in every element while the input gradient stays right — the cheat that poisons a
    /// fine-tune and passes a check of the input gradient alone; an answer without such gradients gets its input gradient
    /// shifted instead. Changes <paramref name="response"/> in place.
    /// </summary>
    public void Apply(BackwardResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        if (!Wrong()) return;
        if (response.PromptGradient is null && response.AdapterGradient is null)
        {
            response.InputGradient = Shifted(response.InputGradient);
            return;
        }
        if (response.PromptGradient is not null) response.PromptGradient = Shifted(response.PromptGradient);
        foreach (var projection in response.AdapterGradient?.Projections ?? [])
        {
            projection.A = Shifted(projection.A);
            projection.B = Shifted(projection.B);
        }
    }

    private bool Wrong()
    {
        bool wrong;
        lock (_random) wrong = _random.NextDouble() < Rate;
        if (wrong) Interlocked.Increment(ref _injected);
        return wrong;
    }

    private static SerializedTensor Shifted(SerializedTensor tensor)
    {
        using var scope = NewDisposeScope();
        return TensorCodec.Encode(TensorCodec.Decode(tensor, TensorLimits.Default) + 1.0, tensor.Compression);
    }
}
