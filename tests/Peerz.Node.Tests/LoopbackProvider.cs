using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Peerz.Discovery;
using Peerz.Model.Blocks;
using Peerz.Model.Checkpoints;
using Peerz.Node.Protocols;
using Peerz.Node.Serving;

namespace Peerz.Node.Tests;

/// <summary>
/// A provider serving a span on a real TCP socket on 127.0.0.1. Each connection names its protocol
/// in a first line (standing in for multistream-select), then speaks it. <see cref="Crash"/> drops
/// every connection at once; <see cref="Stall"/> keeps them open but stops answering.
/// </summary>
public sealed class LoopbackProvider : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<TcpClient, byte> _connections = new();
    private readonly InferenceProtocol _inference;
    private readonly TrainingProtocols _training;
    private readonly InfoProtocol _info;
    private readonly Task _acceptLoop;
    private readonly ConcurrentBag<Exception> _unexpected = [];
    private volatile bool _stalled;

    public LoopbackProvider(string name, Checkpoint checkpoint, int start, int end, ServingLimits? limits = null)
    {
        Name = name;
        Served = new ServedSpan("tiny", BlockSpan.Load(checkpoint, start, end), limits ?? new ServingLimits());
        Served.State = Protocol.Wire.ServerState.Online;
        _inference = new InferenceProtocol(Served, null, NullLogger<InferenceProtocol>.Instance);
        _training = new TrainingProtocols(Served, null, NullLogger<TrainingProtocols>.Instance);
        _info = new InfoProtocol(() => Served.Describe("1"));
        _listener.Start();
        _acceptLoop = AcceptAsync();
    }

    public string Name { get; }

    public ServedSpan Served { get; }

    public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndpoint;

    public ProviderRecord Record => new() { PeerId = Name, ModelId = Served.ModelId, Start = Served.Blocks.Start, End = Served.Blocks.End, Throughput = 100 };

    public void Crash()
    {
        _stop.Cancel();
        _listener.Stop();
        foreach (var connection in _connections.Keys) connection.Dispose();
    }

    public void Stall() => _stalled = true;

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            _connections[client] = 0;
            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        try
        {
            await using var stream = client.GetStream();
            var protocol = await ReadLineAsync(stream);
            var guarded = new StallingStream(stream, () => _stalled, _stop.Token);
            switch (protocol)
            {
                case PeerzProtocolIds.Inference: await _inference.HandleAsync(guarded, PeerOf(client), _stop.Token); break;
                case PeerzProtocolIds.Forward: await _training.HandleForwardAsync(guarded, _stop.Token); break;
                case PeerzProtocolIds.Backward: await _training.HandleBackwardAsync(guarded, _stop.Token); break;
                case PeerzProtocolIds.Info: await _info.HandleAsync(guarded, _stop.Token); break;
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or Protocol.Framing.ProtocolViolationException)
        {
            // A dropped or misbehaving connection ends only itself.
        }
        catch (Exception e)
        {
            _unexpected.Add(e);
        }
        finally
        {
            _connections.TryRemove(client, out _);
            client.Dispose();
        }
    }

    /// <summary>The remote host, standing in for a libp2p peer id: every connection from this test process is one peer.</summary>
    private static string PeerOf(TcpClient client) => (client.Client.RemoteEndPoint as IPEndPoint)?.Address.ToString() ?? "?";

    private static async Task<string> ReadLineAsync(Stream stream)
    {
        var bytes = new List<byte>();
        var one = new byte[1];
        while (bytes.Count < 256 && await stream.ReadAsync(one) == 1 && one[0] != '\n') bytes.Add(one[0]);
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    public static async Task<Stream> ConnectAsync(IPEndPoint endPoint, string protocolId, CancellationToken cancellationToken)
    {
        var client = new TcpClient();
        await client.ConnectAsync(endPoint, cancellationToken);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.UTF8.GetBytes(protocolId + "\n"), cancellationToken);
        return stream;
    }

    public async ValueTask DisposeAsync()
    {
        Crash();
        await _acceptLoop;
        Served.Dispose();
        _stop.Dispose();
        if (!_unexpected.IsEmpty)
            throw new AggregateException($"provider {Name} failed unexpectedly", _unexpected);
    }

    /// <summary>Writes hang (until the provider stops) once the provider is stalled: a hung GPU, not a dead socket.</summary>
    private sealed class StallingStream(Stream inner, Func<bool> stalled, CancellationToken stop) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (stalled()) await Task.Delay(Timeout.Infinite, CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, stop).Token);
            await inner.WriteAsync(buffer, cancellationToken);
        }
    }
}

/// <summary>Routes by the providers' records and connects over loopback TCP.</summary>
public sealed class LoopbackSwarm(IReadOnlyList<LoopbackProvider> providers) : IProviderDirectory, IProviderConnector
{
    public Task<IReadOnlyList<ProviderRecord>> GetProvidersAsync(string modelId, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<ProviderRecord>>(providers.Select(p => p.Record).ToList());

    public Task<Stream> OpenStreamAsync(ProviderRecord provider, string protocolId, CancellationToken cancellationToken) =>
        LoopbackProvider.ConnectAsync(providers.Single(p => p.Name == provider.PeerId).EndPoint, protocolId, cancellationToken);

    public TimeSpan RoundTrip(string peerId) => TimeSpan.FromMilliseconds(1);
}
