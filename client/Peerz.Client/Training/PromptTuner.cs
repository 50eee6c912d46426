using Microsoft.Extensions.Logging;
using Peerz.Model.Client;
using static TorchSharp.torch;

namespace Peerz.Client.Training;

/// <summary>
/// Prompt tuning (and deep prompt tuning) with client-side parameters only: the soft prompts are
/// prepended to the embeddings, the blocks run wherever <see cref="ITrainingPipeline"/> puts them,
/// the causal language-model loss and its gradient are computed here with the local head, the
/// gradient comes back through the blocks, and Adam updates the prompts locally.
/// </summary>
public sealed class PromptTuner : IDisposable
{
    private readonly ClientHead _head;
    private readonly ITrainingPipeline _pipeline;
    private readonly SoftPrompts _prompts;
    private readonly PromptTuningOptions _options;
    private readonly ILogger _logger;
    private readonly optim.Optimizer _optimizer;

    public PromptTuner(ClientHead head, ITrainingPipeline pipeline, SoftPrompts prompts, PromptTuningOptions options, ILogger<PromptTuner> logger)
    {
        _head = head;
        _pipeline = pipeline;
        _prompts = prompts;
        _options = options;
        _logger = logger;
        _optimizer = optim.Adam(prompts.Parameters, options.LearningRate);
    }

    /// <summary>One optimizer step on <paramref name="tokens"/> [batch, length]; returns the loss before the step.</summary>
    public async Task<double> StepAsync(Tensor tokens, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var (loss, shallowGradient, deepGradient) = await GradientsAsync(tokens, cancellationToken);
                using (shallowGradient)
                using (deepGradient)
                    Apply(shallowGradient, deepGradient);
                return loss;
            }
            catch (Exception e) when (DistributedBlockPipeline.IsProviderFailure(e) && attempt < _options.MaxStepAttempts)
            {
                _logger.LogWarning("training step failed ({Error}); re-running it on a fresh route", e.Message);
            }
        }
    }

    /// <summary>The loss on <paramref name="tokens"/> without changing the prompts.</summary>
    public async Task<double> LossAsync(Tensor tokens, CancellationToken cancellationToken)
    {
        using var input = Input(tokens);
        using var deep = _prompts.Deep?.detach();
        using var pass = await _pipeline.ForwardAsync(input, deep, null, cancellationToken);
        return CausalLmLoss.Value(_head, pass.Output, tokens, _prompts.PrefixLength);
    }

    private async Task<(double Loss, Tensor Shallow, Tensor? Deep)> GradientsAsync(Tensor tokens, CancellationToken cancellationToken)
    {
        using var input = Input(tokens);
        using var deep = _prompts.Deep?.detach();
        using var pass = await _pipeline.ForwardAsync(input, deep, null, cancellationToken);
        var (loss, outputGradient) = CausalLmLoss.WithGradient(_head, pass.Output, tokens, _prompts.PrefixLength);
        using (outputGradient)
        {
            using var gradients = await pass.BackwardAsync(outputGradient, cancellationToken);
            // Every row shares the shallow prompts, so their gradient is the prefix's gradient summed over the batch.
            using var prefix = gradients.Input.narrow(1, 0, _prompts.PrefixLength);
            return (loss, prefix.sum(dim: 0), gradients.Prompts?.clone());
        }
    }

    /// <summary>[batch, prefix + length, hidden]: the shallow prompts, then the tokens' embeddings.</summary>
    private Tensor Input(Tensor tokens)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var embedded = _head.Embed(tokens);
        var prompts = _prompts.Shallow.detach().to_type(embedded.dtype).unsqueeze(0).expand(tokens.shape[0], -1, -1);
        return cat([prompts, embedded], 1).MoveToOuterDisposeScope();
    }

    private void Apply(Tensor shallowGradient, Tensor? deepGradient)
    {
        _optimizer.zero_grad();
        using (var scope = NewDisposeScope())
        using (var gradMode = enable_grad())
        {
            // <p, g> has gradient g with respect to p: this hands the swarm's gradients to autograd.
            var surrogate = (_prompts.Shallow * shallowGradient).sum();
            if (_prompts.Deep is not null && deepGradient is not null) surrogate = surrogate + (_prompts.Deep * deepGradient).sum();
            surrogate.backward();
        }
        _optimizer.step();
    }

    public void Dispose() => _optimizer.Dispose();
}
