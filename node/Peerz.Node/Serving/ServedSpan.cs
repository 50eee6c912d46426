using System.Diagnostics;
using Peerz.Model.Blocks;
using Peerz.Node.Metrics;
using Peerz.Node.Protocols;
using Peerz.Protocol.Payments;
using Peerz.Protocol.Wire;
using static TorchSharp.torch;

namespace Peerz.Node.Serving;

/// <summary>
/// The blocks a provider serves, with the shared resources every request draws on: the KV cache
/// budget, session slots, and one compute lane (two CPU cores are best used by one op at a time).
/// </summary>
public sealed class ServedSpan : IDisposable
{
    private readonly SemaphoreSlim _compute = new(1, 1);
    private readonly SemaphoreSlim _sessionSlots;
    private readonly Dictionary<string, int> _sessionsByPeer = [];
    private readonly DecodeBatcher? _batcher;
    private volatile bool _retired;

    public ServedSpan(string modelId, BlockSpan blocks, ServingLimits limits, ServingMetrics? metrics = null, WrongOutputFault? fault = null)
    {
        ModelId = modelId;
        Fault = fault;
        Blocks = blocks;
        Limits = limits;
        CacheBudget = new KvCacheBudget(limits.CacheBytes);
        _sessionSlots = new SemaphoreSlim(limits.MaxSessions, limits.MaxSessions);
        Metrics = metrics ?? new ServingMetrics(Hosting.Metrics.PeerzMeters.Unexported);
        if (limits.Batching.Enabled) _batcher = new DecodeBatcher(limits.Batching, RunOnLaneAsync);
        Metrics.Track(this);
    }

    public string ModelId { get; }

    public BlockSpan Blocks { get; }

    public ServingLimits Limits { get; }

    /// <summary>How this span computes, as its receipts state it (dtype and weight quantization).</summary>
    public ServingMode ServingMode => new(BlockLoadOptions.DTypeName(Blocks.Options.DType), Blocks.Options.Quantization.ToString().ToLowerInvariant());

    public KvCacheBudget CacheBudget { get; }

    /// <summary>Where requests are counted (a private registry when the host exposes none).</summary>
    public ServingMetrics Metrics { get; }

    /// <summary>Batches decode steps across sessions; null when <see cref="ServingLimits.Batching"/> is off.</summary>
    public DecodeBatcher? Batcher => _batcher;

    /// <summary>Chaos testing only: answers a fraction of responses wrong (null for every real provider).</summary>
    public WrongOutputFault? Fault { get; }

    /// <summary>What a response carries for the computed <paramref name="output"/>: the output itself unless <see cref="Fault"/> is injecting.</summary>
    public Tensor Answer(Tensor output) => Fault?.Apply(output) ?? output;

    /// <summary>A backward answer as sent: as computed unless <see cref="Fault"/> is injecting (then changed in place).</summary>
    public BackwardResponse Answer(BackwardResponse response)
    {
        Fault?.Apply(response);
        return response;
    }

    public int ActiveSessions => Limits.MaxSessions - _sessionSlots.CurrentCount;

    /// <summary>Tokens per second through the whole span, measured at start (0 until measured).</summary>
    public double Throughput { get; private set; }

    public ServerState State { get; set; } = ServerState.Joining;

    /// <summary>
    /// Takes a session slot for <paramref name="peer"/>, or refuses with BUSY when all are in use or the peer already
    /// holds <see cref="ServingLimits.MaxSessionsPerPeer"/>.
    /// </summary>
    public IDisposable AcquireSessionSlot(string peer)
    {
        lock (_sessionsByPeer)
        {
            var held = _sessionsByPeer.GetValueOrDefault(peer);
            if (held >= Limits.MaxSessionsPerPeer)
                throw new RequestRejectedException(ErrorCode.Busy, $"this peer already holds {held} sessions, the most one peer may (close one first)");
            if (!_sessionSlots.Wait(0))
                throw new RequestRejectedException(ErrorCode.Busy, $"all {Limits.MaxSessions} session slots are in use");
            _sessionsByPeer[peer] = held + 1;
        }
        return new Releaser(() =>
        {
            lock (_sessionsByPeer)
            {
                if (--_sessionsByPeer[peer] == 0) _sessionsByPeer.Remove(peer);
            }
            _sessionSlots.Release();
        });
    }

    /// <summary>
    /// Runs <paramref name="work"/> on the compute lane inside its own dispose scope; tensors it
    /// creates are freed when it returns, so it must return plain data (e.g. an encoded tensor).
    /// Work that completes is counted in <see cref="Metrics"/> under <paramref name="protocol"/>.
    /// </summary>
    public async Task<T> ComputeAsync<T>(string protocol, long tokens, Func<T> work, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        T result = default!;
        await RunOnLaneAsync(() => result = work(), cancellationToken);
        Metrics.Served(protocol, tokens, Stopwatch.GetElapsedTime(started));
        return result;
    }

    /// <summary>
    /// One step of an inference session: rolls it back to <paramref name="position"/>, runs <paramref name="hidden"/>
    /// and returns <paramref name="encode"/> of the output (plain data, as for <see cref="ComputeAsync{T}"/>). With
    /// batching on, a decode step (one position, batch 1) shares a forward pass with other sessions' decode steps.
    /// </summary>
    public async Task<T> StepAsync<T>(string protocol, InferenceSession session, Tensor hidden, int position, Func<Tensor, T> encode, CancellationToken cancellationToken)
    {
        var tokens = hidden.shape[0] * hidden.shape[1];
        if (_batcher is null || !BatchedDecode.IsDecodeStep(session, hidden))
            return await ComputeAsync(protocol, tokens, () =>
            {
                session.Rollback(position);
                return encode(session.Step(hidden));
            }, cancellationToken);
        var started = Stopwatch.GetTimestamp();
        var result = await _batcher.StepAsync(session, hidden, position, encode, cancellationToken);
        Metrics.Served(protocol, tokens, Stopwatch.GetElapsedTime(started));
        return result;
    }

    private Task RunOnLaneAsync(Action work) => RunOnLaneAsync(work, CancellationToken.None);

    private async Task RunOnLaneAsync(Action work, CancellationToken cancellationToken)
    {
        await _compute.WaitAsync(cancellationToken);
        try
        {
            if (_retired) throw new RequestRejectedException(ErrorCode.WrongSpan, $"this provider no longer serves blocks [{Blocks.Start}, {Blocks.End})");
            using var scope = NewDisposeScope();
            work();
        }
        finally
        {
            _compute.Release();
        }
    }

    /// <summary>Measures forward throughput on a representative step (128 tokens, best of 3).</summary>
    public double MeasureThroughput(int tokens = 128)
    {
        using var scope = NewDisposeScope();
        var hidden = randn([1, tokens, Blocks.Config.HiddenSize], Blocks.Options.DType == ScalarType.Float64 ? ScalarType.Float64 : ScalarType.Float32);
        var best = double.MaxValue;
        for (var i = 0; i < 3; i++)
        {
            var stopwatch = System.Diagnostics.Stopwatch.StartNew();
            Blocks.Forward(hidden).Dispose();
            best = Math.Min(best, stopwatch.Elapsed.TotalSeconds);
        }
        Throughput = tokens / best;
        return Throughput;
    }

    public ServerInfo Describe(string pricePerToken) => new()
    {
        ModelId = ModelId,
        BlockStart = (uint)Blocks.Start,
        BlockEnd = (uint)Blocks.End,
        ModelBlocks = (uint)Blocks.Config.NumLayers,
        WeightBytes = (ulong)Blocks.WeightBytes,
        State = State,
        Throughput = Throughput,
        FreeCacheBytes = (ulong)CacheBudget.FreeBytes,
        MaxMessageBytes = (uint)Limits.MaxMessageBytes,
        MaxTokensPerStep = (uint)Limits.MaxTokensPerStep,
        MaxSessions = (uint)Limits.MaxSessions,
        PricePerToken = pricePerToken,
        Dtype = BlockLoadOptions.DTypeName(Blocks.Options.DType),
        Quantization = Blocks.Options.Quantization.ToString().ToLowerInvariant(),
        Version = typeof(ServedSpan).Assembly.GetName().Version?.ToString() ?? "0",
    };

    /// <summary>
    /// Releases the blocks after a move, once open sessions have ended (or <paramref name="grace"/>
    /// has passed, or <paramref name="cancellationToken"/> fires): work still arriving is refused
    /// with WrongSpan, which clients answer by rerouting.
    /// </summary>
    public async Task RetireAsync(TimeSpan grace, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + grace;
        while (ActiveSessions > 0 && DateTime.UtcNow < deadline && !cancellationToken.IsCancellationRequested)
            await Task.Delay(TimeSpan.FromMilliseconds(100), CancellationToken.None);
        // Taking the compute lane waits out the request being computed; none runs after this.
        await _compute.WaitAsync(CancellationToken.None);
        try
        {
            _retired = true;
            Blocks.Dispose();
        }
        finally
        {
            _compute.Release();
        }
    }

    public void Dispose()
    {
        if (!_retired) Blocks.Dispose();
        _compute.Dispose();
        _sessionSlots.Dispose();
    }

    private sealed class Releaser(Action release) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) release();
        }
    }
}
