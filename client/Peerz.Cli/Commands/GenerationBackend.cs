using System.Numerics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Peerz.Client;
using Peerz.Client.Remote;
using Peerz.Client.Routing;
using Peerz.Client.Training;
using Peerz.Discovery;
using Peerz.Hosting;
using Peerz.Model;
using Peerz.Model.Blocks;
using Peerz.Model.Checkpoints;
using Peerz.Model.Client;
using Peerz.Model.Generation;
using Peerz.P2P;

namespace Peerz.Cli.Commands;

/// <summary>Where generation and training run: every block in this process, or the swarm (only the head is loaded here).</summary>
public sealed class GenerationBackend : IAsyncDisposable
{
    private readonly List<IAsyncDisposable> _owned = [];
    private readonly List<IDisposable> _ownedSync = [];
    private readonly Lock _paidLock = new();
    private BigInteger _paid;

    private GenerationBackend(ClientHead head, IAdaptableBlockPipeline pipeline, ITrainingPipeline training)
    {
        Head = head;
        Pipeline = pipeline;
        Training = training;
    }

    public ClientHead Head { get; }

    public IAdaptableBlockPipeline Pipeline { get; }

    /// <summary>Forward/backward passes over all blocks, for fine-tuning.</summary>
    public ITrainingPipeline Training { get; }

    /// <summary>The swarm the blocks run on, or null when every block runs here.</summary>
    public SwarmClient? Swarm { get; private set; }

    /// <summary>The current route, for display ("local" when every block runs here).</summary>
    public string Route { get; private set; } = "local";

    /// <summary>The current route's hops (empty when every block runs here).</summary>
    public IReadOnlyList<RouteHop> Hops { get; private set; } = [];

    public static GenerationBackend Local(string directory, BlockLoadOptions options)
    {
        var layers = Model.Configuration.ModelConfig.Load(Path.Combine(directory, Checkpoint.ConfigFile)).NumLayers;
        var model = LocalModel.Load(directory, options, progress: new ConsoleProgress("loading blocks", layers));
        var backend = new GenerationBackend(model.Head, model.Pipeline, new LocalTrainingPipeline(model.Blocks));
        backend._ownedSync.Add(model);
        return backend;
    }

    /// <summary>What this backend has paid providers so far (0 when unpaid).</summary>
    public BigInteger Paid => _paid;

    public static async Task<GenerationBackend> SwarmAsync(string directory, string modelId, string[] bootstrap, string[] listen, BlockLoadOptions options, ClientWallet? wallet, bool push,
        ILoggerFactory logging, CancellationToken cancellationToken)
    {
        var addresses = Parse(bootstrap, "--bootstrap");
        var listenAddresses = Parse(listen, "--listen");
        var payments = wallet is null ? null : await wallet.OpenAsync(logging, cancellationToken);
        var checkpoint = Checkpoint.Open(directory);
        var head = ClientHead.Load(checkpoint, options.DType);
        var swarm = new SwarmClient(addresses, logging, options: new SwarmClientOptions { ListenAddresses = listenAddresses });
        try
        {
            await swarm.StartAsync(cancellationToken);
        }
        catch (SwarmUnreachableException e)
        {
            await swarm.DisposeAsync();
            throw new UserErrorException(e.Message);
        }
        var span = new SpanRequest(modelId, 0, checkpoint.Config.NumLayers);
        var planner = new RoutePlanner(swarm.RoundTrip, new Random());
        var pipeline = new DistributedBlockPipeline(span, swarm, swarm, planner, new RemoteCallOptions(), NullLogger<DistributedBlockPipeline>.Instance, payments: payments?.Payments,
            push: push ? new PushRouting() : null);
        var training = new DistributedTrainingPipeline(span, swarm, swarm, planner, new RemoteCallOptions(), logging.CreateLogger<DistributedTrainingPipeline>(), payments: payments?.Payments);
        var result = new GenerationBackend(head, pipeline, training) { Swarm = swarm };
        if (payments is not null)
        {
            payments.Payments.Paid += record => result.AddPaid(record.Cost);
            result._owned.Add(payments);
        }
        pipeline.RouteChanged += route =>
        {
            result.Hops = route;
            result.Route = string.Join(" -> ", route.Select(h => $"{h.Provider.PeerId[^8..]}[{h.Start},{h.End}){(swarm.IsRelayed(h.Provider.PeerId) ? " via relay" : "")}"));
            Console.Error.WriteLine($"route: {result.Route}");
        };
        result._owned.Add(swarm);
        result._ownedSync.Add(head);
        result._ownedSync.Add(checkpoint);
        return result;
    }

    private static List<Multiaddr> Parse(string[] texts, string option)
    {
        try
        {
            return texts.Select(Multiaddr.Parse).ToList();
        }
        catch (FormatException e)
        {
            throw new UserErrorException($"{option}: {e.Message}");
        }
    }

    /// <summary>Raised with the cost of every paid request (after its receipt was accepted).</summary>
    public event Action<BigInteger>? PaymentMade;

    private void AddPaid(BigInteger cost)
    {
        lock (_paidLock) _paid += cost;
        PaymentMade?.Invoke(cost);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var owned in _owned) await owned.DisposeAsync();
        foreach (var owned in _ownedSync) owned.Dispose();
    }
}
