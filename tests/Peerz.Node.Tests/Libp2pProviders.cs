using Microsoft.Extensions.Logging.Abstractions;
using Peerz.Discovery;
using Peerz.Model.Blocks;
using Peerz.Model.Checkpoints;
using Peerz.Node.Push;
using Peerz.Node.Serving;
using Peerz.Node.Swarm;
using Peerz.P2P;

namespace Peerz.Node.Tests;

/// <summary>
/// Providers on real libp2p hosts (TCP, noise, yamux) on 127.0.0.1, known to a client host from a list that the test
/// controls (no DHT), so a test decides which providers a route can use and when a replacement appears.
/// </summary>
public sealed class Libp2pProviders : IProviderDirectory, IProviderConnector, IAsyncDisposable
{
    private readonly Checkpoint _checkpoint;
    private readonly Libp2pHost _client = new(new Libp2pHostOptions { Identity = Identity.Generate(), ListenAddresses = [] }, NullLoggerFactory.Instance);
    private readonly List<ProviderNode> _nodes = [];
    private readonly HashSet<string> _listed = [];

    private Libp2pProviders(Checkpoint checkpoint) => _checkpoint = checkpoint;

    public static async Task<Libp2pProviders> StartAsync(Checkpoint checkpoint)
    {
        var providers = new Libp2pProviders(checkpoint);
        await providers._client.StartAsync(CancellationToken.None);
        return providers;
    }

    public Libp2pHost Client => _client;

    /// <summary>Starts a provider of blocks [start, end); <paramref name="listed"/> says whether routes may use it yet.</summary>
    public async Task<ProviderNode> AddAsync(int start, int end, bool listed = true, PushOptions? push = null, ServingLimits? limits = null)
    {
        var served = new ServedSpan("tiny", BlockSpan.Load(_checkpoint, start, end), limits ?? new ServingLimits());
        served.MeasureThroughput(4);
        var node = new ProviderNode(served, new ProviderNodeOptions { Identity = Identity.Generate(), Push = push ?? new PushOptions() }, NullLoggerFactory.Instance);
        await node.StartAsync(CancellationToken.None);
        _nodes.Add(node);
        if (listed) List(node);
        return node;
    }

    public void List(ProviderNode node) => _listed.Add(node.PeerId.ToString());

    public ProviderNode Node(string peerId) => _nodes.Single(n => n.PeerId.ToString() == peerId);

    public Task<IReadOnlyList<ProviderRecord>> GetProvidersAsync(string modelId, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<ProviderRecord>>(_nodes.Where(n => _listed.Contains(n.PeerId.ToString())).Select(Record).ToList());

    public static ProviderRecord Record(ProviderNode node) => new()
    {
        PeerId = node.PeerId.ToString(),
        ModelId = node.Served.ModelId,
        Start = node.Served.Blocks.Start,
        End = node.Served.Blocks.End,
        Throughput = 100,
        Addresses = [$"{node.ListenAddresses[0]}/p2p/{node.PeerId}"],
    };

    public async Task<Stream> OpenStreamAsync(ProviderRecord provider, string protocolId, CancellationToken cancellationToken)
    {
        var peer = PeerId.Parse(provider.PeerId);
        _client.AddAddresses(peer, provider.Addresses.Select(Multiaddr.Parse));
        return await _client.OpenStreamAsync(peer, protocolId, cancellationToken);
    }

    public TimeSpan RoundTrip(string peerId) => TimeSpan.FromMilliseconds(1);

    /// <summary>Providers the client is told it reaches through a relay (the connections themselves stay direct).</summary>
    public HashSet<string> Relayed { get; } = [];

    public bool IsRelayed(string peerId) => Relayed.Contains(peerId);

    /// <summary>Stops a provider at once, as a crash would look to its peers (its listing stays, so routes must notice).</summary>
    public static async Task KillAsync(ProviderNode node) => await node.DisposeAsync();

    public async ValueTask DisposeAsync()
    {
        await _client.DisposeAsync();
        foreach (var node in _nodes) await node.DisposeAsync();
        foreach (var node in _nodes)
        {
            // Sessions end once their streams are gone; their slots are released before the span is.
            for (var i = 0; i < 100 && node.Served.ActiveSessions > 0; i++) await Task.Delay(50);
            node.Served.Dispose();
        }
    }
}
