using Peerz.P2P.Host;

namespace Peerz.P2P.Dcutr;

/// <summary>
/// Notices a new direct connection to a peer (one that is not the connection DCUtR coordinated over), including
/// one that arrived on our listener while our own dial failed.
/// </summary>
internal sealed class DirectConnectionWatch : IDisposable
{
    private readonly Libp2pHost _host;
    private readonly PeerId _peer;
    private readonly Connection? _original;
    private readonly TaskCompletionSource _arrived = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public DirectConnectionWatch(Libp2pHost host, PeerId peer, Connection? original)
    {
        _host = host;
        _peer = peer;
        _original = original;
        host.PeerConnected += OnPeerConnected;
    }

    public bool HasDirect() =>
        _host.GetConnection(_peer) is { IsRelayed: false } current && !ReferenceEquals(current, _original);

    /// <summary>True once a direct connection serves the peer; false when <paramref name="ct"/> ends first.</summary>
    public async Task<bool> WaitAsync(CancellationToken ct)
    {
        if (HasDirect())
        {
            return true;
        }
        try
        {
            await _arrived.Task.WaitAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        return HasDirect();
    }

    public void Dispose() => _host.PeerConnected -= OnPeerConnected;

    private void OnPeerConnected(object? sender, PeerConnectedEventArgs e)
    {
        if (e.Peer == _peer && !e.RemoteAddress.IsCircuit)
        {
            _arrived.TrySetResult();
        }
    }
}
