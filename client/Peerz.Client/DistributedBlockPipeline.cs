using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Peerz.Client.Payments;
using Peerz.Client.Remote;
using Peerz.Client.Routing;
using Peerz.Discovery;
using Peerz.Model.Adapters;
using Peerz.Model.Generation;
using Peerz.Protocol.Framing;
using Peerz.Protocol.Tensors;
using Peerz.Protocol.Wire;
using static TorchSharp.torch;

namespace Peerz.Client;

/// <summary>
/// All blocks of a model served by the swarm. A session chains one remote session per route hop.
/// When a provider fails or stalls, the hop is replaced by a new route over the same blocks and
/// the hop's past inputs are replayed to rebuild the replacements' caches, so generation goes on
/// with the same tokens (Petals' fault-tolerant inference). With <see cref="PushRouting"/>, the hops are linked so
/// that each provider forwards its output to the next one (docs/protocol.md#server-to-server-push); the client still
/// pays every hop and receives every hop's output, which it keeps for replay and relays when a push does not arrive.
/// A session with a LoRA adapter or deep prompts sends each hop their part for the hop's blocks in its open (a replacement
/// hop gets it too, before the replay), and every step of every hop applies them.
/// </summary>
public sealed class DistributedBlockPipeline : IAdaptableBlockPipeline
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
    private readonly PushRouting? _push;

    public DistributedBlockPipeline(SpanRequest model, IProviderDirectory directory, IProviderConnector connector, RoutePlanner planner,
        RemoteCallOptions callOptions, ILogger<DistributedBlockPipeline> logger, int maxReroutesPerStep = 3, ClientPayments? payments = null, PushRouting? push = null)
    {
        _push = push;
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

    public ValueTask<IBlockSession> OpenSessionAsync(int batchSize, int maxLength, CancellationToken cancellationToken) =>
        OpenAsync(batchSize, maxLength, null, cancellationToken);

    public ValueTask<IBlockSession> OpenSessionAsync(int batchSize, int maxLength, SessionTuning tuning, CancellationToken cancellationToken) =>
        OpenAsync(batchSize, maxLength, tuning.Copy(), cancellationToken);

    /// <param name="tuning">Owned by the session from here on.</param>
    private async ValueTask<IBlockSession> OpenAsync(int batchSize, int maxLength, SessionTuning? tuning, CancellationToken cancellationToken)
    {
        var session = new Session(this, batchSize, maxLength, tuning);
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
        PaymentException payment => !payment.ClientMustFix,
        IOException or SocketException or TimeoutException or ProtocolViolationException or ObjectDisposedException => true,
        _ => false,
    };

    private sealed class Hop(RouteHop route, RemoteSpanSession remote)
    {
        public RouteHop Route { get; } = route;
        public RemoteSpanSession Remote { get; } = remote;
        /// <summary>The connection to the provider went through a relay when the session opened.</summary>
        public bool Relayed { get; init; }
        /// <summary>Every input this hop has received, in order, cut at rollbacks: what a replacement must replay.</summary>
        public List<Tensor> Inputs { get; } = [];
        /// <summary>The provider agreed to take part in push (it refuses push links when it does not).</summary>
        public bool AcceptsPush { get; init; }
        /// <summary>The session the provider forwards its outputs to, as it was told by an answered step or the open.</summary>
        public string? PushTo { get; set; }
        /// <summary>The peer the provider accepts pushes from, as it was told by an answered step or the open.</summary>
        public string? PushFrom { get; set; }

        public PushHop Link() => new() { PeerId = Route.Provider.PeerId, Addresses = { Route.Provider.Addresses }, SessionId = Remote.SessionId };

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

    private sealed class Session(DistributedBlockPipeline pipeline, int batchSize, int maxLength, SessionTuning? tuning) : IRollbackBlockSession, IReroutingSession
    {
        private readonly List<Hop> _hops = [];
        private readonly HashSet<string> _failed = [];
        private readonly HashSet<string> _forgiven = [];

        public event Action<ProviderReplacement>? ProviderReplaced;

        public int Position { get; private set; }

        public void Rollback(int position)
        {
            if (position < 0 || position > Position)
                throw new ArgumentOutOfRangeException(nameof(position), $"cannot roll back to position {position}: the session holds positions [0, {Position})");
            foreach (var hop in _hops) hop.Rollback(position);
            Position = position;
        }

        /// <summary>Opens a session on every hop of a planned route; a provider failing to open is routed around, within the reroute bound.</summary>
        public async Task OpenAsync(CancellationToken cancellationToken)
        {
            for (var attempt = 0; ; attempt++)
            {
                var routes = await PlanAsync(pipeline._model.Start, pipeline._model.End, cancellationToken);
                RouteHop? opening = null;
                var relayed = false;
                try
                {
                    // On a push route, last hop first, so that each provider can be told its next hop's session.
                    for (var n = 0; n < routes.Count; n++)
                    {
                        var i = pipeline._push is null ? n : routes.Count - 1 - n;
                        opening = routes[i];
                        // Whether the connection made while discovering the provider is relayed, before a failure closes it.
                        relayed = pipeline._connector.IsRelayed(opening.Provider.PeerId);
                        if (pipeline._push is null)
                            _hops.Add(await OpenHopAsync(opening, null, null, cancellationToken));
                        else
                            _hops.Insert(0, await OpenHopAsync(opening, i > 0 ? routes[i - 1].Provider.PeerId : null, _hops.FirstOrDefault(), cancellationToken));
                    }
                }
                catch (Exception e) when (IsProviderFailure(e) && attempt < pipeline._maxReroutesPerStep && opening is not null)
                {
                    pipeline._logger.LogWarning("provider {Provider} failed to open blocks [{Start}, {End}): {Error}; rerouting", opening.Provider.PeerId, opening.Start, opening.End, e.Message);
                    foreach (var hop in _hops) await hop.Remote.DisposeAsync();
                    _hops.Clear();
                    Blame(opening, relayed);
                    continue;
                }
                pipeline.RouteChanged?.Invoke(_hops.Select(h => h.Route).ToList());
                return;
            }
        }

        public ValueTask<Tensor> StepAsync(Tensor hidden, CancellationToken cancellationToken) =>
            pipeline._push is { } push && _hops.Count > 1 ? PushStepAsync(hidden, push, cancellationToken) : HopByHopStepAsync(hidden, cancellationToken);

        private async ValueTask<Tensor> HopByHopStepAsync(Tensor hidden, CancellationToken cancellationToken)
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

        /// <summary>
        /// One step on a push route. Every hop gets its paid step at once; a linked hop's step carries no input (its
        /// previous hop pushes it), so the token travels client → A → B → … → client. The outputs still come back hop by
        /// hop: each is checked and kept for replay, and relayed to the next hop when it was not pushed (or its push
        /// seems lost). A failed hop is replaced and replayed as without push; the route is re-linked on the next step.
        /// </summary>
        private async ValueTask<Tensor> PushStepAsync(Tensor hidden, PushRouting push, CancellationToken cancellationToken)
        {
            var (batch, positions) = ((int)hidden.shape[0], (int)hidden.shape[1]);
            var pending = new List<PendingStep?>();
            var input = TensorCodec.Encode(hidden, pipeline._callOptions.Compression);
            try
            {
                // Hops are sent in route order, the first with its input: a step holds each provider's payment lane from
                // sending until answered, and taking lanes in route order in every session means no two sessions can each
                // hold a lane the other waits for (sending linked hops before the first one deadlocked two gateway
                // requests that shared both providers of a route: docs/testing.md).
                for (var i = 0; i < _hops.Count; i++)
                {
                    pending.Add(null);
                    if (i > 0 && !Linked(i)) continue;
                    try
                    {
                        pending[i] = await SendAsync(i, i == 0 ? input : null, batch, positions, cancellationToken);
                    }
                    catch (Exception e) when (IsProviderFailure(e))
                    {
                        // The hop is handled (replaced) when the walk below reaches it.
                    }
                }
                var inputTensor = hidden;
                var relay = false;
                for (var i = 0; i < _hops.Count; i++)
                {
                    for (var attempt = 0; ; attempt++)
                    {
                        var hop = _hops[i];
                        try
                        {
                            var step = pending[i] ??= await SendAsync(i, input, batch, positions, cancellationToken);
                            if (step.AwaitsInput && relay) await step.RelayAsync(input, cancellationToken);
                            var received = step.ReceiveAsync(input, hidden.dtype, cancellationToken);
                            if (step.AwaitsInput && !relay && await Task.WhenAny(received, Task.Delay(push.RelayAfter, cancellationToken)) != received)
                                await step.RelayAsync(input, cancellationToken);
                            var (output, result) = await received;
                            if (step.Step.PushNext is { } next) hop.PushTo = next.SessionId;
                            if (step.Step.PushPrevious.Length > 0) hop.PushFrom = step.Step.PushPrevious;
                            // Kept for replay across steps, so it must outlive any caller's dispose scope.
                            hop.Inputs.Add(ReferenceEquals(inputTensor, hidden) ? inputTensor.detach().clone().DetachFromDisposeScope() : inputTensor);
                            (input, inputTensor, relay) = (output.Hidden, result, !output.Pushed);
                            break;
                        }
                        catch (Exception e) when (IsProviderFailure(e) && attempt < pipeline._maxReroutesPerStep)
                        {
                            pipeline._logger.LogWarning("provider {Provider} failed on blocks [{Start}, {End}): {Error}; rerouting", hop.Route.Provider.PeerId, hop.Route.Start, hop.Route.End, e.Message);
                            if (pending[i] is { } failed) await failed.DisposeAsync();
                            pending.RemoveAt(i);
                            pending.InsertRange(i, Enumerable.Repeat<PendingStep?>(null, await ReplaceAsync(i, cancellationToken)));
                        }
                    }
                }
                Position += positions;
                return inputTensor;
            }
            finally
            {
                foreach (var step in pending)
                    if (step is not null) await step.DisposeAsync();
            }
        }

        /// <summary>Whether hop <paramref name="i"/>'s input will be pushed by hop i − 1 (both ends linked by answered steps).</summary>
        private bool Linked(int i) => i > 0 && _hops[i - 1].PushTo == _hops[i].Remote.SessionId && _hops[i].PushFrom == _hops[i - 1].Route.Provider.PeerId;

        /// <summary>Sends hop <paramref name="i"/> its step, with the links that repair the route around it (they apply from the next step).</summary>
        private Task<PendingStep> SendAsync(int i, SerializedTensor? input, int batch, int positions, CancellationToken cancellationToken)
        {
            var hop = _hops[i];
            PushHop? next = null;
            string? previous = null;
            if (hop.AcceptsPush)
            {
                // The next hop is linked only once it accepts pushes from this one, so no push is refused on the way.
                if (i + 1 < _hops.Count && _hops[i + 1].AcceptsPush && hop.PushTo != _hops[i + 1].Remote.SessionId && _hops[i + 1].PushFrom == hop.Route.Provider.PeerId)
                    next = _hops[i + 1].Link();
                if (i > 0 && _hops[i - 1].AcceptsPush && hop.PushFrom != _hops[i - 1].Route.Provider.PeerId) previous = _hops[i - 1].Route.Provider.PeerId;
            }
            return hop.Remote.SendAsync(input, batch, positions, next, previous, cancellationToken);
        }

        /// <summary>
        /// Replaces hop <paramref name="index"/> by a fresh route over its blocks, replaying its history; returns the number
        /// of new hops. A replacement that fails while opening or replaying is itself replaced, within the reroute bound.
        /// </summary>
        private async Task<int> ReplaceAsync(int index, CancellationToken cancellationToken)
        {
            var failed = _hops[index];
            Blame(failed.Route, failed.Relayed);
            await failed.Remote.DisposeAsync();
            var history = failed.Inputs.Count == 0 ? null : cat(failed.Inputs, 1).DetachFromDisposeScope();
            for (var attempt = 0; ; attempt++)
            {
                var replacements = new List<Hop>();
                RouteHop? opening = null;
                var relayed = false;
                try
                {
                    var replayed = history;
                    foreach (var route in await PlanAsync(failed.Route.Start, failed.Route.End, cancellationToken))
                    {
                        opening = route;
                        relayed = pipeline._connector.IsRelayed(route.Provider.PeerId);
                        // Pushes come in only from the previous hop; forwarding starts once the replay is done (the next step links it).
                        var previous = replacements.Count > 0 ? replacements[^1].Route : index > 0 ? _hops[index - 1].Route : null;
                        var hop = await OpenHopAsync(route, pipeline._push is null ? null : previous?.Provider.PeerId, null, cancellationToken);
                        replacements.Add(hop);
                        if (replayed is null) continue;
                        hop.Inputs.Add(ReferenceEquals(replayed, history) ? replayed.clone().DetachFromDisposeScope() : replayed);
                        replayed = (await hop.Remote.StepAsync(replayed, cancellationToken)).DetachFromDisposeScope();
                    }
                    if (!ReferenceEquals(replayed, history)) replayed?.Dispose();
                }
                catch (Exception e)
                {
                    foreach (var hop in replacements)
                    {
                        await hop.Remote.DisposeAsync();
                        foreach (var input in hop.Inputs) input.Dispose();
                    }
                    if (!IsProviderFailure(e) || attempt >= pipeline._maxReroutesPerStep || opening is null)
                    {
                        history?.Dispose();
                        throw;
                    }
                    pipeline._logger.LogWarning("replacement provider {Provider} failed on blocks [{Start}, {End}): {Error}; rerouting", opening.Provider.PeerId, opening.Start, opening.End, e.Message);
                    Blame(opening, relayed);
                    continue;
                }
                _hops.RemoveAt(index);
                _hops.InsertRange(index, replacements);
                foreach (var input in failed.Inputs) input.Dispose();
                var replayedPositions = history is null ? 0 : (int)history.shape[1];
                history?.Dispose();
                pipeline.RouteChanged?.Invoke(_hops.Select(h => h.Route).ToList());
                ProviderReplaced?.Invoke(new ProviderReplacement(failed.Route, [.. replacements.Select(h => h.Route)], replayedPositions));
                return replacements.Count;
            }
        }

        /// <summary>
        /// Leaves a failed provider out of this session's routes. A failure over a relayed connection may be the relay's
        /// (a relay that died or reset its circuits), so such a provider stays eligible once, to be reached another way.
        /// </summary>
        private void Blame(RouteHop route, bool relayed)
        {
            var peer = route.Provider.PeerId;
            if (relayed && _forgiven.Add(peer))
            {
                pipeline._logger.LogInformation("provider {Provider} failed over a relayed connection; it stays eligible once, through another path", peer);
                return;
            }
            _failed.Add(peer);
        }

        private async Task<IReadOnlyList<RouteHop>> PlanAsync(int start, int end, CancellationToken cancellationToken)
        {
            var providers = await pipeline._directory.GetProvidersAsync(pipeline._model.ModelId, cancellationToken);
            return pipeline._planner.Plan(providers, pipeline._model.ModelId, start, end, _failed);
        }

        /// <summary>
        /// Opens a session on <paramref name="route"/>; on a push route, linked to <paramref name="previous"/> (the peer that
        /// may push into it) and <paramref name="next"/> (the hop it forwards to). A provider that refuses push gets the
        /// session without links, and the client carries its inputs and outputs.
        /// </summary>
        private async Task<Hop> OpenHopAsync(RouteHop route, string? previous, Hop? next, CancellationToken cancellationToken)
        {
            if (pipeline._push is not null)
            {
                var links = new PushLinks(next is { AcceptsPush: true } ? next.Link() : null, previous);
                try
                {
                    var remote = await OpenRemoteAsync(route, links, cancellationToken);
                    return new Hop(route, remote) { AcceptsPush = true, PushTo = links.Next?.SessionId, PushFrom = previous, Relayed = pipeline._connector.IsRelayed(route.Provider.PeerId) };
                }
                catch (PeerzRequestException e) when (e.Code == ErrorCode.BadRequest)
                {
                    pipeline._logger.LogInformation("provider {Provider} refused push ({Error}); its hop goes through the client", route.Provider.PeerId, e.Message);
                }
            }
            return new Hop(route, await OpenRemoteAsync(route, null, cancellationToken)) { Relayed = pipeline._connector.IsRelayed(route.Provider.PeerId) };
        }

        private async Task<RemoteSpanSession> OpenRemoteAsync(RouteHop route, PushLinks? links, CancellationToken cancellationToken)
        {
            var stream = await pipeline._connector.OpenStreamAsync(route.Provider, InferenceProtocolId, cancellationToken);
            try
            {
                return await RemoteSpanSession.OpenAsync(stream, new SpanRequest(pipeline._model.ModelId, route.Start, route.End), batchSize, maxLength, pipeline._callOptions,
                    pipeline._payments is null ? null : new PaidProvider(pipeline._payments, route.Provider), links, AdapterFor(route), PromptsFor(route), cancellationToken);
            }
            catch
            {
                await stream.DisposeAsync();
                throw;
            }
        }

        /// <summary>The adapter's weights for the hop's blocks, or null when it has none there.</summary>
        private LoraTensors? AdapterFor(RouteHop route)
        {
            using var slice = tuning?.Adapter?.Slice(route.Start, route.End);
            return slice is { Weights.Count: > 0 } ? LoraCodec.Encode(slice) : null;
        }

        /// <summary>The deep prompts of the hop's blocks, uncompressed (like an adapter's weights), or null.</summary>
        private SerializedTensor? PromptsFor(RouteHop route)
        {
            using var slice = tuning?.PromptsFor(route.Start, route.End);
            return slice is null ? null : TensorCodec.Encode(slice, TensorCompression.None);
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var hop in _hops)
            {
                await hop.Remote.DisposeAsync();
                foreach (var input in hop.Inputs) input.Dispose();
            }
            _hops.Clear();
            tuning?.Adapter?.Dispose();
            tuning?.DeepPrompts?.Dispose();
        }
    }
}
