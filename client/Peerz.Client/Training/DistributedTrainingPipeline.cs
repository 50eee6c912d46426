using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Peerz.Client.Payments;
using Peerz.Client.Remote;
using Peerz.Client.Routing;
using Peerz.Discovery;
using Peerz.Model.Adapters;
using Peerz.Model.Blocks;
using static TorchSharp.torch;

namespace Peerz.Client.Training;

/// <summary>
/// Training passes through the swarm (Petals' remote sequential autograd): the forward pass runs
/// the route's hops in order over /peerz/forward, keeping each hop's input on the client; the
/// backward pass walks the hops in reverse over /peerz/backward, which returns input (and deep
/// prompt and LoRA) gradients. A LoRA adapter travels with every request, each hop receiving only its
/// blocks' weights. Each hop's batch is split across all providers serving its blocks.
/// A provider that fails is excluded from then on; a pass that cannot finish throws a provider
/// failure, and the caller re-runs the step on a fresh route.
/// </summary>
public sealed class DistributedTrainingPipeline : ITrainingPipeline
{
    public const string ForwardProtocolId = "/peerz/forward/1.0.0";
    public const string BackwardProtocolId = "/peerz/backward/1.0.0";

    private readonly SpanRequest _model;
    private readonly IProviderDirectory _directory;
    private readonly IProviderConnector _connector;
    private readonly RoutePlanner _planner;
    private readonly RemoteCallOptions _callOptions;
    private readonly ConcurrentDictionary<string, byte> _failed = new();
    private readonly BatchSplitter _splitter;
    private readonly ClientPayments? _payments;

    /// <param name="maxProvidersPerHop">How many providers one hop's batch may be split across (1 = no split).</param>
    /// <param name="payments">Pays each provider per request (vouchers and receipts), or null for an unpaid swarm.</param>
    public DistributedTrainingPipeline(SpanRequest model, IProviderDirectory directory, IProviderConnector connector, RoutePlanner planner,
        RemoteCallOptions callOptions, ILogger<DistributedTrainingPipeline> logger, int maxProvidersPerHop = 4, int seed = 0, ClientPayments? payments = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxProvidersPerHop);
        _model = model;
        _directory = directory;
        _connector = connector;
        _planner = planner;
        _callOptions = callOptions;
        _payments = payments;
        _splitter = new BatchSplitter(_failed, new Random(seed), maxProvidersPerHop, logger);
    }

    /// <summary>Raised for every share a provider served, for progress display and tests.</summary>
    public event Action<TrainingShare>? ShareServed
    {
        add => _splitter.ShareServed += value;
        remove => _splitter.ShareServed -= value;
    }

    /// <summary>Providers that failed during training and are no longer used.</summary>
    public IReadOnlyCollection<string> FailedProviders => _failed.Keys.ToList();

    public async Task<ITrainingPass> ForwardAsync(Tensor hidden, Tensor? prompts, LoraAdapter? adapter, CancellationToken cancellationToken)
    {
        var providers = await _directory.GetProvidersAsync(_model.ModelId, cancellationToken);
        var route = _planner.Plan(providers, _model.ModelId, _model.Start, _model.End, _failed.Keys.ToHashSet());
        var pass = new Pass(this, route, providers, prompts?.detach().clone(), route.Select(hop => adapter?.Slice(hop.Start, hop.End)).ToArray());
        try
        {
            var input = hidden.detach().clone();
            for (var i = 0; i < route.Count; i++)
            {
                var hop = route[i];
                pass.Inputs.Add(input);
                using var hopPrompts = pass.PromptsOf(hop);
                input = await ForwardHopAsync(hop, providers, input, hopPrompts, pass.Adapters[i], cancellationToken);
            }
            pass.Output = input;
            return pass;
        }
        catch
        {
            pass.Dispose();
            throw;
        }
    }

    private async Task<Tensor> ForwardHopAsync(RouteHop hop, IReadOnlyList<ProviderRecord> providers, Tensor input, Tensor? prompts, LoraAdapter? adapter,
        CancellationToken cancellationToken)
    {
        var outputs = await _splitter.RunAsync("forward", hop, providers, (int)input.shape[0], async (provider, first, rows, ct) =>
        {
            using var share = input.narrow(0, first, rows);
            await using var stream = await _connector.OpenStreamAsync(provider, ForwardProtocolId, ct);
            return await RemoteTraining.ForwardAsync(stream, Span(hop), share, prompts, adapter, _callOptions, Payee(provider), ct);
        }, cancellationToken);
        return Concatenate(outputs);
    }

    private async Task<SpanGradients> BackwardHopAsync(RouteHop hop, IReadOnlyList<ProviderRecord> providers, Tensor input, Tensor? prompts, LoraAdapter? adapter, Tensor outputGradient,
        CancellationToken cancellationToken)
    {
        var shares = await _splitter.RunAsync("backward", hop, providers, (int)input.shape[0], async (provider, first, rows, ct) =>
        {
            using var inputShare = input.narrow(0, first, rows);
            using var gradientShare = outputGradient.narrow(0, first, rows);
            await using var stream = await _connector.OpenStreamAsync(provider, BackwardProtocolId, ct);
            return await RemoteTraining.BackwardAsync(stream, Span(hop), inputShare, prompts, adapter, gradientShare, _callOptions, Payee(provider), ct);
        }, cancellationToken);
        try
        {
            // Rows are independent, so input gradients concatenate; prompts and adapter are shared by every row, so theirs add up.
            var inputGradient = Concatenate(shares.Select(s => s.TakeInput()).ToArray());
            using var stacked = prompts is null ? null : stack(shares.Select(s => s.Prompts!).ToArray());
            return new SpanGradients(inputGradient, stacked?.sum(dim: 0), adapter is null ? null : LoraAdapter.Sum(shares.Select(s => s.Adapter!).ToArray()));
        }
        finally
        {
            foreach (var share in shares) share.Dispose();
        }
    }

    private SpanRequest Span(RouteHop hop) => new(_model.ModelId, hop.Start, hop.End);

    private PaidProvider? Payee(ProviderRecord provider) => _payments is null ? null : new PaidProvider(_payments, provider);

    private static Tensor Concatenate(Tensor[] parts)
    {
        if (parts.Length == 1) return parts[0];
        try
        {
            return cat(parts, 0);
        }
        finally
        {
            foreach (var part in parts) part.Dispose();
        }
    }

    private sealed class Pass(DistributedTrainingPipeline pipeline, IReadOnlyList<RouteHop> route, IReadOnlyList<ProviderRecord> providers, Tensor? prompts,
        LoraAdapter?[] adapters) : ITrainingPass
    {
        /// <summary>Each hop's copy of the adapter's weights for its blocks (null without an adapter).</summary>
        public LoraAdapter?[] Adapters => adapters;

        private Tensor? _output;

        /// <summary>Input of each hop, in route order: what its backward request sends again.</summary>
        public List<Tensor> Inputs { get; } = [];

        public Tensor Output
        {
            get => _output ?? throw new InvalidOperationException("the forward pass has not finished");
            set => _output = value;
        }

        /// <summary>The deep prompts of the hop's blocks (a view of the model's prompts), or null.</summary>
        public Tensor? PromptsOf(RouteHop hop) => prompts?.narrow(0, hop.Start - pipeline._model.Start, hop.End - hop.Start);

        public async Task<SpanGradients> BackwardAsync(Tensor outputGradient, CancellationToken cancellationToken)
        {
            var promptGradients = new Tensor?[route.Count];
            var adapterGradients = new LoraAdapter?[route.Count];
            var gradient = outputGradient;
            try
            {
                for (var i = route.Count - 1; i >= 0; i--)
                {
                    using var hopPrompts = PromptsOf(route[i]);
                    using var result = await pipeline.BackwardHopAsync(route[i], providers, Inputs[i], hopPrompts, adapters[i], gradient, cancellationToken);
                    if (!ReferenceEquals(gradient, outputGradient)) gradient.Dispose();
                    gradient = result.TakeInput();
                    promptGradients[i] = result.Prompts?.clone();
                    adapterGradients[i] = result.Adapter?.Clone();
                }
                var inputGradient = ReferenceEquals(gradient, outputGradient) ? gradient.clone() : gradient;
                return new SpanGradients(inputGradient, prompts is null ? null : cat(promptGradients.Select(g => g!).ToArray(), 0),
                    adapters[0] is null ? null : LoraAdapter.Concat(adapterGradients.Select(g => g!).ToArray()));
            }
            catch
            {
                if (!ReferenceEquals(gradient, outputGradient)) gradient.Dispose();
                throw;
            }
            finally
            {
                foreach (var g in promptGradients) g?.Dispose();
                foreach (var g in adapterGradients) g?.Dispose();
            }
        }

        public void Dispose()
        {
            foreach (var input in Inputs) input.Dispose();
            _output?.Dispose();
            prompts?.Dispose();
            foreach (var adapter in adapters) adapter?.Dispose();
        }
    }
}
