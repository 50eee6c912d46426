using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Peerz.Client.Payments;
using Peerz.Client.Remote;
using Peerz.Client.Routing;
using Peerz.Model.Generation;
using Peerz.Protocol.Framing;
using Peerz.Protocol.Wire;
using static TorchSharp.torch;

namespace Peerz.Client;

/// <summary>
/// All blocks of a model served by the swarm. A session chains one remote session per route hop.
/// When a provider fails or stalls, the hop is replaced by a new route over the same blocks and
/// the hop's past inputs are replayed to rebuild the replacements' caches, so generation goes on
/// with the same tokens (Petals' fault-tolerant inference).
/// </summary>
public sealed class DistributedBlockPipeline : IBlockPipeline
{
    public const string InferenceProtocolId = "/peerz/inference/1.0.0";

    private readonly SpanRequest _model;
    private readonly IProviderDirectory _directory;
    private readonly IProviderConnector _connector;
    private readonly RoutePlanner _planner;
    private readonly RemoteCallOptions _callOptions;
    private readonly ILogger _logger;
    private readonly int _maxReroutesPerStep;
    private readonly ClientPayments? _payments;

    public DistributedBlockPipeline(SpanRequest model, IProviderDirectory directory, IProviderConnector connector, RoutePlanner planner,
        RemoteCallOptions callOptions, ILogger<DistributedBlockPipeline> logger, int maxReroutesPerStep = 3, ClientPayments? payments = null)
    {
        _model = model;
        _directory = directory;
        _connector = connector;
        _planner = planner;
        _callOptions = callOptions;
        _logger = logger;
        _maxReroutesPerStep = maxReroutesPerStep;
        _payments = payments;
    }

    /// <summary>Raised whenever a session's route changes (first plan and every replacement), for display and tests.</summary>
    public event Action<IReadOnlyList<RouteHop>>? RouteChanged;

    public async ValueTask<IBlockSession> OpenSessionAsync(int batchSize, int maxLength, CancellationToken cancellationToken)
    {
        var session = new Session(this, batchSize, maxLength);
        try
        {
            await session.OpenAsync(cancellationToken);
            return session;
        }
        catch
        {
            await session.DisposeAsync();
            throw;
        }
    }

    internal static bool IsProviderFailure(Exception e) => e switch
    {
        // Payment required is the client's to fix (deposit), not a reason to leave the provider.
        PeerzRequestException request => request.Code is not (ErrorCode.BadRequest or ErrorCode.LimitExceeded or ErrorCode.PaymentRequired),
        IOException or SocketException or TimeoutException or ProtocolViolationException or ObjectDisposedException => true,
        _ => false,
    };

    private sealed class Hop(RouteHop route, RemoteSpanSession remote)
    {
        public RouteHop Route { get; } = route;
        public RemoteSpanSession Remote { get; } = remote;
        /// <summary>Every input this hop has received, in order, cut at rollbacks: what a replacement must replay.</summary>
        public List<Tensor> Inputs { get; } = [];

        /// <summary>Drops the inputs of positions [position, …) here and on the provider (sent with the next step).</summary>
        public void Rollback(int position)
        {
            Remote.Rollback(position);
            var kept = 0;
            for (var i = 0; i < Inputs.Count; i++)
            {
                var length = (int)Inputs[i].shape[1];
                if (kept + length <= position)
                {
                    kept += length;
                    continue;
                }
                var cut = position - kept;
                var head = cut > 0 ? Inputs[i].narrow(1, 0, cut).clone().DetachFromDisposeScope() : null;
                foreach (var dropped in Inputs.Skip(i)) dropped.Dispose();
                Inputs.RemoveRange(i, Inputs.Count - i);
                if (head is not null) Inputs.Add(head);
                return;
            }
        }
    }

    private sealed class Session(DistributedBlockPipeline pipeline, int batchSize, int maxLength) : IRollbackBlockSession
    {
        private readonly List<Hop> _hops = [];
        private readonly HashSet<string> _failed = [];

        public int Position { get; private set; }

        public void Rollback(int position)
        {
            if (position < 0 || position > Position)
                throw new ArgumentOutOfRangeException(nameof(position), $"cannot roll back to position {position}: the session holds positions [0, {Position})");
            foreach (var hop in _hops) hop.Rollback(position);
            Position = position;
        }

        public async Task OpenAsync(CancellationToken cancellationToken)
        {
            foreach (var route in await PlanAsync(pipeline._model.Start, pipeline._model.End, cancellationToken))
                _hops.Add(new Hop(route, await OpenRemoteAsync(route, cancellationToken)));
            pipeline.RouteChanged?.Invoke(_hops.Select(h => h.Route).ToList());
        }

        public async ValueTask<Tensor> StepAsync(Tensor hidden, CancellationToken cancellationToken)
        {
            var input = hidden;
            for (var i = 0; i < _hops.Count; i++)
            {
                for (var attempt = 0; ; attempt++)
                {
                    var hop = _hops[i];
                    try
                    {
                        var output = await hop.Remote.StepAsync(input, cancellationToken);
                        // Kept for replay across steps, so it must outlive any caller's dispose scope.
                        hop.Inputs.Add(ReferenceEquals(input, hidden) ? input.detach().clone().DetachFromDisposeScope() : input);
                        input = output;
                        break;
                    }
                    catch (Exception e) when (IsProviderFailure(e) && attempt < pipeline._maxReroutesPerStep)
                    {
                        pipeline._logger.LogWarning("provider {Provider} failed on blocks [{Start}, {End}): {Error}; rerouting", hop.Route.Provider.PeerId, hop.Route.Start, hop.Route.End, e.Message);
                        await ReplaceAsync(i, cancellationToken);
                    }
                }
            }
            Position += (int)hidden.shape[1];
            return input;
        }

        /// <summary>Replaces hop <paramref name="index"/> by a fresh route over its blocks, replaying its history.</summary>
        private async Task ReplaceAsync(int index, CancellationToken cancellationToken)
        {
            var failed = _hops[index];
            _failed.Add(failed.Route.Provider.PeerId);
            await failed.Remote.DisposeAsync();
            var history = failed.Inputs.Count == 0 ? null : cat(failed.Inputs, 1).DetachFromDisposeScope();
            var replacements = new List<Hop>();
            try
            {
                foreach (var route in await PlanAsync(failed.Route.Start, failed.Route.End, cancellationToken))
                {
                    var hop = new Hop(route, await OpenRemoteAsync(route, cancellationToken));
                    replacements.Add(hop);
                    if (history is null) continue;
                    hop.Inputs.Add(history);
                    history = (await hop.Remote.StepAsync(history, cancellationToken)).DetachFromDisposeScope();
                }
            }
            catch
            {
                foreach (var hop in replacements) await hop.Remote.DisposeAsync();
                throw;
            }
            _hops.RemoveAt(index);
            _hops.InsertRange(index, replacements);
            foreach (var input in failed.Inputs) input.Dispose();
            history?.Dispose();
            pipeline.RouteChanged?.Invoke(_hops.Select(h => h.Route).ToList());
        }

        private async Task<IReadOnlyList<RouteHop>> PlanAsync(int start, int end, CancellationToken cancellationToken)
        {
            var providers = await pipeline._directory.GetProvidersAsync(pipeline._model.ModelId, cancellationToken);
            return pipeline._planner.Plan(providers, pipeline._model.ModelId, start, end, _failed);
        }

        private async Task<RemoteSpanSession> OpenRemoteAsync(RouteHop route, CancellationToken cancellationToken)
        {
            var stream = await pipeline._connector.OpenStreamAsync(route.Provider, InferenceProtocolId, cancellationToken);
            try
            {
                return await RemoteSpanSession.OpenAsync(stream, new SpanRequest(pipeline._model.ModelId, route.Start, route.End), batchSize, maxLength, pipeline._callOptions,
                    pipeline._payments is null ? null : new PaidProvider(pipeline._payments, route.Provider), cancellationToken);
            }
            catch
            {
                await stream.DisposeAsync();
                throw;
            }
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var hop in _hops)
            {
                await hop.Remote.DisposeAsync();
                foreach (var input in hop.Inputs) input.Dispose();
            }
            _hops.Clear();
        }
    }
}
