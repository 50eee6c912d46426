using static TorchSharp.torch;

namespace Peerz.Model.Training;

/// <summary>
/// AdamW (Loshchilov and Hutter) over plain tensors: the model's modules hold their weights as tensors, not as
/// TorchSharp parameters, so the update is written out here. β1 = 0.9, β2 = 0.95, ε = 1e-8; decay is decoupled;
/// gradients are clipped to a global norm of 1 first (the first steps of a fresh model have large ones).
/// </summary>
internal sealed class AdamW : IDisposable
{
    private const double Beta1 = 0.9;
    private const double Beta2 = 0.95;
    private const double Epsilon = 1e-8;
    private const double MaxGradientNorm = 1.0;

    private readonly IReadOnlyList<Tensor> _parameters;
    private readonly Tensor[] _first;
    private readonly Tensor[] _second;
    private readonly double _weightDecay;
    private int _step;

    public AdamW(IReadOnlyList<Tensor> parameters, double weightDecay)
    {
        _parameters = parameters;
        _weightDecay = weightDecay;
        _first = [.. parameters.Select(p => zeros_like(p).DetachFromDisposeScope())];
        _second = [.. parameters.Select(p => zeros_like(p).DetachFromDisposeScope())];
    }

    /// <summary>Applies one update from the parameters' gradients and clears them.</summary>
    public void Step(double learningRate)
    {
        _step++;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var correction1 = 1 - Math.Pow(Beta1, _step);
        var correction2 = 1 - Math.Pow(Beta2, _step);
        var gradients = _parameters.Select(p => p.grad).ToArray();
        var norm = Math.Sqrt(gradients.Where(g => g is not null).Sum(g => g!.pow(2).sum().item<float>()));
        var clip = norm > MaxGradientNorm ? MaxGradientNorm / norm : 1.0;
        for (var i = 0; i < _parameters.Count; i++)
        {
            var parameter = _parameters[i];
            var gradient = gradients[i];
            if (gradient is null) continue;
            if (clip < 1) gradient.mul_(clip);
            _first[i].mul_(Beta1).add_(gradient, alpha: 1 - Beta1);
            _second[i].mul_(Beta2).addcmul_(gradient, gradient, value: 1 - Beta2);
            var denominator = (_second[i] / correction2).sqrt_().add_(Epsilon);
            // Norm weights (1-D) are not decayed, as is usual for transformers.
            if (parameter.ndim > 1) parameter.mul_(1 - (learningRate * _weightDecay));
            parameter.addcdiv_(_first[i], denominator, value: -learningRate / correction1);
            gradient.zero_();
        }
    }

    public void Dispose()
    {
        foreach (var t in _first.Concat(_second)) t.Dispose();
    }
}
