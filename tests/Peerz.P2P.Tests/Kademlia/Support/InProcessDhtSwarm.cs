using System.Collections.Concurrent;
using System.Security.Cryptography;
using Peerz.P2P.Kademlia;

namespace Peerz.P2P.Tests.Kademlia.Support;

/// <summary>
/// In-process transport for DHT logic tests: streams are pipe pairs and addresses are /ip4/127.0.0.1/tcp/N
/// multiaddrs that name a node. It exercises the real DHT code (framing, handlers, lookups) without sockets;
/// the wire-level tests over the real libp2p host and against js-libp2p live in the interop tests.
/// </summary>
internal sealed class InProcessDhtSwarm
{
    private readonly ConcurrentDictionary<string, Node> _byId = new();
    private readonly ConcurrentDictionary<string, Node> _byAddress = new();
    private readonly List<Task> _handlers = [];
    private int _nextPort = 4000;

    public Node AddNode()
    {
        var id = new byte[34];
        id[0] = 0x12;
        id[1] = 0x20;
        RandomNumberGenerator.Fill(id.AsSpan(2));
        var port = Interlocked.Increment(ref _nextPort);
        byte[] addr = [0x04, 127, 0, 0, 1, 0x06, (byte)(port >> 8), (byte)port];
        var node = new Node(this, id, addr);
        _byId[Convert.ToBase64String(id)] = node;
        _byAddress[Convert.ToBase64String(addr)] = node;
        return node;
    }

    /// <summary>Makes a node unreachable, as if its process died.</summary>
    public void Kill(Node node) => node.Dead = true;

    public async Task DrainAsync()
    {
        Task[] handlers;
        lock (_handlers)
            handlers = [.. _handlers];
        await Task.WhenAll(handlers).WaitAsync(TimeSpan.FromSeconds(30));
    }

    internal sealed class Node(InProcessDhtSwarm swarm, byte[] id, byte[] address) : IDhtNetwork
    {
        private readonly ConcurrentDictionary<string, Func<byte[], Stream, CancellationToken, Task>> _handlers = new();
        private readonly ConcurrentDictionary<string, byte[][]> _addresses = new();

        public bool Dead { get; set; }
        public byte[] LocalPeerId => id;
        public IReadOnlyList<byte[]> LocalAddresses => [address];

        public void SetStreamHandler(string protocolId, Func<byte[], Stream, CancellationToken, Task> handler) => _handlers[protocolId] = handler;

        public Task<Stream> OpenStreamAsync(byte[] peerId, string protocolId, CancellationToken ct)
        {
            ct.ThrowIfCancellationRequested();
            if (!swarm._byId.TryGetValue(Convert.ToBase64String(peerId), out var remote) || remote.Dead)
                throw new IOException("peer unreachable");
            if (!remote._handlers.TryGetValue(protocolId, out var handler))
                throw new IOException($"protocol {protocolId} not supported");
            // What identify does on a real connection: the remote learns our listen addresses.
            remote.AddAddresses(id, LocalAddresses);
            var (local, far) = DuplexPipeStream.CreatePair();
            var task = Task.Run(() => handler(id, far, CancellationToken.None), CancellationToken.None);
            lock (swarm._handlers)
            {
                swarm._handlers.RemoveAll(t => t.IsCompleted);
                swarm._handlers.Add(task);
            }
            return Task.FromResult(local);
        }

        public Task<byte[]> ConnectAsync(byte[] multiaddr, CancellationToken ct) =>
            swarm._byAddress.TryGetValue(Convert.ToBase64String(multiaddr), out var remote) && !remote.Dead
                ? Task.FromResult(remote.LocalPeerId)
                : Task.FromException<byte[]>(new IOException("connection refused"));

        public void AddAddresses(byte[] peerId, IEnumerable<byte[]> multiaddrs) =>
            _addresses.AddOrUpdate(Convert.ToBase64String(peerId), _ => [.. multiaddrs],
                (_, old) => [.. old.Concat(multiaddrs).DistinctBy(Convert.ToBase64String)]);

        public IReadOnlyList<byte[]> GetAddresses(byte[] peerId) =>
            _addresses.TryGetValue(Convert.ToBase64String(peerId), out var addrs) ? addrs : [];
    }
}
