namespace Peerz.P2P.AutoNat;

/// <summary>
/// Fixed-window request counting, per peer and in total. Only admitted requests are tracked, so the per-peer
/// table holds at most <c>maxTotal</c> peers per window.
/// </summary>
internal sealed class AutoNatRateLimiter(int maxPerPeer, int maxTotal, TimeSpan window, TimeProvider time)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<PeerId, int> _perPeer = [];
    private int _total;
    private long _windowStart = time.GetTimestamp();

    public bool TryAdmit(PeerId peer)
    {
        lock (_lock)
        {
            if (time.GetElapsedTime(_windowStart) >= window)
            {
                _windowStart = time.GetTimestamp();
                _perPeer.Clear();
                _total = 0;
            }
            var count = _perPeer.GetValueOrDefault(peer);
            if (count >= maxPerPeer || _total >= maxTotal)
            {
                return false;
            }
            _perPeer[peer] = count + 1;
            _total++;
            return true;
        }
    }
}
