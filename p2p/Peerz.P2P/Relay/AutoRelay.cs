using Microsoft.Extensions.Logging;

namespace Peerz.P2P.Relay;

/// <summary>
/// Keeps <see cref="AutoRelayOptions.Reservations"/> relay reservations while the host is private (AutoNAT),
/// picked from candidate peers whose identify lists the hop protocol; replaces lost ones, backs off from
/// candidates that fail, and releases its reservations once the host is public.
/// </summary>
public sealed class AutoRelay : IAsyncDisposable
{
    private readonly Libp2pHost _host;
    private readonly CircuitRelayClient _client;
    private readonly Func<IEnumerable<PeerId>> _candidates;
    private readonly AutoRelayOptions _options;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly CancellationTokenSource _shutdown = new();
    private readonly Dictionary<PeerId, (int Failures, DateTimeOffset NextAttempt)> _failures = [];
    private readonly HashSet<PeerId> _ours = [];
    private Task _loop = Task.CompletedTask;

    public AutoRelay(Libp2pHost host, CircuitRelayClient client, Func<IEnumerable<PeerId>> candidates, AutoRelayOptions options)
    {
        _host = host;
        _client = client;
        _candidates = candidates;
        _options = options;
        _logger = host.LoggerFactory.CreateLogger<AutoRelay>();
    }

    /// <summary>Starts keeping reservations in the background; returns at once.</summary>
    public Task StartAsync(CancellationToken ct)
    {
        _host.ReachabilityChanged += OnChange;
        _client.ReservationLost += OnChange;
        var stop = CancellationTokenSource.CreateLinkedTokenSource(ct, _shutdown.Token);
        _loop = Task.Run(() => RunAsync(stop), CancellationToken.None);
        return Task.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        _host.ReachabilityChanged -= OnChange;
        _client.ReservationLost -= OnChange;
        await _shutdown.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _shutdown.Dispose();
        _wake.Dispose();
    }

    private void OnChange<T>(object? sender, T e)
    {
        if (_wake.CurrentCount == 0)
        {
            try
            {
                _wake.Release();
            }
            catch (SemaphoreFullException)
            {
                // Already woken.
            }
        }
    }

    private async Task RunAsync(CancellationTokenSource stop)
    {
        using (stop)
        {
            try
            {
                while (true)
                {
                    try
                    {
                        await RoundAsync(stop.Token).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (!stop.IsCancellationRequested)
                    {
                        _logger.LogWarning(ex, "relay round failed: {Reason}", ex.Message);
                    }
                    await _wake.WaitAsync(_options.CheckInterval, stop.Token).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                // Stopped.
            }
        }
    }

    private async Task RoundAsync(CancellationToken ct)
    {
        var held = _client.Reservations.Select(r => r.Relay).ToHashSet();
        _ours.IntersectWith(held);
        if (_host.Reachability != Reachability.Private)
        {
            _logger.LogDebug("host is {Reachability}: no relay reservations needed", _host.Reachability);
            foreach (var relay in _ours)
            {
                await _client.ReleaseAsync(relay).ConfigureAwait(false);
                _logger.LogInformation("released relay {Relay}: the host is {Reachability}", relay, _host.Reachability);
            }
            _ours.Clear();
            return;
        }
        var needed = _options.Reservations - held.Count;
        if (needed <= 0)
        {
            return;
        }
        var now = DateTimeOffset.UtcNow;
        var candidates = _candidates()
            .Where(c => c != _host.PeerId && !held.Contains(c) && !(_failures.TryGetValue(c, out var f) && f.NextAttempt > now))
            .Distinct()
            .Take(_options.MaxCandidatesPerRound)
            .ToList();
        foreach (var candidate in candidates)
        {
            if (needed == 0)
            {
                break;
            }
            if (await TryReserveAsync(candidate, ct).ConfigureAwait(false))
            {
                _ours.Add(candidate);
                _failures.Remove(candidate);
                needed--;
            }
        }
        if (needed > 0)
        {
            _logger.LogWarning("private and {Missing} relay reservation(s) short; will look again", needed);
        }
    }

    private async Task<bool> TryReserveAsync(PeerId candidate, CancellationToken ct)
    {
        try
        {
            using var identify = CancellationTokenSource.CreateLinkedTokenSource(ct);
            identify.CancelAfter(_options.IdentifyTimeout);
            var info = await _host.IdentifyAsync(candidate, identify.Token).ConfigureAwait(false);
            if (!info.Protocols.Contains(CircuitRelayProtocol.Hop))
            {
                Fail(candidate, "not a relay");
                return false;
            }
            await _client.ReserveAsync(candidate, ct).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            // Whatever one candidate does wrong only costs it a backoff.
            Fail(candidate, ex.Message);
            return false;
        }
    }

    private void Fail(PeerId candidate, string reason)
    {
        var failures = _failures.TryGetValue(candidate, out var previous) ? previous.Failures + 1 : 1;
        var backoff = TimeSpan.FromTicks(Math.Min(_options.MaxRetryBackoff.Ticks,
            _options.RetryBackoff.Ticks * (1L << Math.Min(failures - 1, 20))));
        if (!_failures.ContainsKey(candidate) && _failures.Count >= _options.MaxTrackedFailures)
        {
            _failures.Remove(_failures.MinBy(f => f.Value.NextAttempt).Key);
        }
        _failures[candidate] = (failures, DateTimeOffset.UtcNow + backoff);
        _logger.LogInformation("relay candidate {Candidate} skipped for {Backoff}: {Reason}", candidate, backoff, reason);
    }
}
