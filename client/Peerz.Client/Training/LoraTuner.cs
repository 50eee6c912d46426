using Microsoft.Extensions.Logging;
using Peerz.Model.Adapters;
using Peerz.Model.Client;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Peerz.Client.Training;

/// <summary>
/// LoRA fine-tuning with client-owned adapter weights: the blocks run wherever <see cref="ITrainingPipeline"/> puts
/// them with the adapter applied (its weights travel with each request), the causal language-model loss and its
/// gradient are computed here, the backward pass returns the gradients of every A and B, and Adam updates them
/// locally. The providers' base weights never change and never hold the adapter beyond a request.
/// </summary>
public sealed class LoraTuner : IDisposable
{
    private readonly ClientHead _head;
    private readonly ITrainingPipeline _pipeline;
    private readonly PromptTuningOptions _options;
    private readonly ILogger _logger;
    private readonly optim.Optimizer _optimizer;

    /// <param name="adapter">The starting weights; the tuner trains its own copy (<see cref="Adapter"/>).</param>
    public LoraTuner(ClientHead head, ITrainingPipeline pipeline, LoraAdapter adapter, PromptTuningOptions options, ILogger<LoraTuner> logger)
    {
        _head = head;
        _pipeline = pipeline;
        _options = options;
        _logger = logger;
        if (adapter.Weights.Count == 0) throw new ArgumentException("the adapter targets no projection", nameof(adapter));
        Adapter = new LoraAdapter(adapter.Scaling, adapter.Weights.Select(w => w with
        {
            A = new Parameter(w.A.detach().to_type(ScalarType.Float32).clone().DetachFromDisposeScope()),
            B = new Parameter(w.B.detach().to_type(ScalarType.Float32).clone().DetachFromDisposeScope()),
        }).ToList());
        _optimizer = optim.Adam(Adapter.Weights.SelectMany(w => new[] { (Parameter)w.A, (Parameter)w.B }), options.LearningRate);
    }

    /// <summary>The weights being trained (float32); owned by the tuner.</summary>
    public LoraAdapter Adapter { get; }

    /// <summary>One optimizer step on <paramref name="tokens"/> [batch, length]; returns the loss before the step.</summary>
    public async Task<double> StepAsync(Tensor tokens, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var (loss, gradients) = await GradientsAsync(tokens, cancellationToken);
                using (gradients) Apply(gradients);
                return loss;
            }
            catch (Exception e) when (DistributedBlockPipeline.IsProviderFailure(e) && attempt < _options.MaxStepAttempts)
            {
                _logger.LogWarning("training step failed ({Error}); re-running it on a fresh route", e.Message);
            }
        }
    }

    /// <summary>The loss on <paramref name="tokens"/> without changing the adapter.</summary>
    public async Task<double> LossAsync(Tensor tokens, CancellationToken cancellationToken)
    {
        using var input = _head.Embed(tokens);
        using var pass = await _pipeline.ForwardAsync(input, null, Adapter, cancellationToken);
        return CausalLmLoss.Value(_head, pass.Output, tokens, 0);
    }

    /// <summary>The loss before a step and the gradients of every A and B (for tests comparing swarm and local runs).</summary>
    public async Task<(double Loss, LoraAdapter Gradients)> GradientsAsync(Tensor tokens, CancellationToken cancellationToken)
    {
        using var input = _head.Embed(tokens);
        using var pass = await _pipeline.ForwardAsync(input, null, Adapter, cancellationToken);
        var (loss, outputGradient) = CausalLmLoss.WithGradient(_head, pass.Output, tokens, 0);
        using (outputGradient)
        {
            using var gradients = await pass.BackwardAsync(outputGradient, cancellationToken);
            return (loss, gradients.Adapter!.Clone());
        }
    }

    private void Apply(LoraAdapter gradients)
    {
        _optimizer.zero_grad();
        using (var scope = NewDisposeScope())
        using (var gradMode = enable_grad())
        {
            // <p, g> has gradient g with respect to p: this hands the swarm's gradients to autograd.
            var surrogate = Adapter.Weights.Zip(gradients.Weights)
                .Select(pair => (pair.First.A * pair.Second.A).sum() + (pair.First.B * pair.Second.B).sum())
                .Aggregate((x, y) => x + y);
            surrogate.backward();
        }
        _optimizer.step();
    }

    public void Dispose()
    {
        _optimizer.Dispose();
        Adapter.Dispose();
    }
}
