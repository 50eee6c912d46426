using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Peerz.P2P.Encoding;

namespace Peerz.P2P.AutoNat;

/// <summary>
/// AutoNAT v1 client: asks connected peers that serve /libp2p/autonat/1.0.0 to dial our candidate addresses
/// back, and sets the host's reachability from the answers. The answers say Public after
/// <see cref="AutoNatClientOptions.SuccessesForPublic"/> OKs since the last round with only dial errors, Private
/// after <see cref="AutoNatClientOptions.FailuresForPrivate"/> dial errors since the last OK (in one round or
/// over several, so a host with one server gets there too), and nothing otherwise (refusals do not count). As in go-libp2p, a verdict holds a confidence of up to
/// <see cref="AutoNatClientOptions.MaxConfidence"/> agreeing rounds, spent one per disagreeing or silent round
/// before it changes. An address a server dialled successfully (one we sent it) is advertised from then on.
/// </summary>
public sealed class AutoNatClient : IAsyncDisposable
{
    private readonly Libp2pHost _host;
    private readonly AutoNatClientOptions _options;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _round = new(1, 1);
    private readonly List<Multiaddr> _confirmed = [];
    private Task _loop = Task.CompletedTask;
    private int _confidence;
    private int _recentSuccesses;
    private int _recentFailures;

    public AutoNatClient(Libp2pHost host, AutoNatClientOptions options)
    {
        _host = host;
        _options = options;
        _logger = host.LoggerFactory.CreateLogger<AutoNatClient>();
    }

    /// <summary>Addresses servers dialled back that we now advertise.</summary>
    public IReadOnlyList<Multiaddr> ConfirmedAddresses
    {
        get
        {
            lock (_confirmed)
            {
                return [.. _confirmed];
            }
        }
    }

    /// <summary>Starts probing in the background: after the start delay, then every retry or refresh interval.</summary>
    public Task StartAsync(CancellationToken ct)
    {
        _loop = Task.Run(() => RunAsync(_stop.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <summary>One round now; returns the host's reachability after it.</summary>
    public async Task<Reachability> ProbeAsync(CancellationToken ct)
    {
        await _round.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var servers = PickServers();
            var candidates = CandidateAddresses.For(_host.Addresses);
            if (servers.Count == 0 || candidates.Count == 0)
            {
                _logger.LogDebug("autonat: no server ({Servers}) or no candidate address ({Candidates}) to probe", servers.Count, candidates.Count);
                return _host.Reachability;
            }
            var answers = await Task.WhenAll(servers.Select(s => AskAsync(s, candidates, ct))).ConfigureAwait(false);
            var ok = answers.Where(a => a?.Status == AutoNatResponseStatus.Ok).ToList();
            var failures = answers.Count(a => a?.Status == AutoNatResponseStatus.DialError);
            var dialled = ok.Select(a => ConfirmedAddress(a!, candidates)).FirstOrDefault(a => a is not null);
            return Record(ok.Count, failures, dialled);
        }
        finally
        {
            _round.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        _stop.Dispose();
    }

    private async Task RunAsync(CancellationToken ct)
    {
        var delay = _options.StartDelay;
        while (!ct.IsCancellationRequested)
        {
            await Task.Delay(delay, ct).ConfigureAwait(false);
            try
            {
                await ProbeAsync(ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (!ct.IsCancellationRequested)
            {
                _logger.LogWarning(ex, "autonat: probe failed: {Reason}", ex.Message);
            }
            delay = _host.Reachability == Reachability.Unknown ? _options.RetryInterval : _options.RefreshInterval;
        }
    }

    /// <summary>Directly connected peers whose identify lists the protocol, at most the configured number, at random.</summary>
    private List<PeerId> PickServers()
    {
        var servers = _host.ConnectedPeers
            .Where(p => _host.GetIdentifyInfo(p)?.Protocols.Contains(AutoNatMessage.ProtocolId) == true
                && _host.GetConnectionAddress(p) is { IsCircuit: false })
            .ToArray();
        RandomNumberGenerator.Shuffle(servers.AsSpan());
        return [.. servers.Take(_options.MaxServersPerProbe)];
    }

    private async Task<AutoNatDialResponse?> AskAsync(PeerId server, IReadOnlyList<Multiaddr> candidates, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_options.RequestTimeout);
        try
        {
            await using var stream = await _host.OpenStreamAsync(server, AutoNatMessage.ProtocolId, timeout.Token).ConfigureAwait(false);
            await LengthPrefixed.WriteAsync(stream, AutoNatMessage.Request(_host.PeerId, candidates).Encode(), timeout.Token).ConfigureAwait(false);
            var answer = AutoNatMessage.Decode(await LengthPrefixed.ReadAsync(stream, _options.MaxMessageSize, timeout.Token).ConfigureAwait(false));
            if (answer.Type != AutoNatMessageType.DialResponse || answer.DialResponse is null)
            {
                _logger.LogWarning("autonat: {Server} answered without a dial response", server);
                return null;
            }
            _logger.LogDebug("autonat: {Server} answered {Status} {Text}", server, answer.DialResponse.Status, answer.DialResponse.StatusText);
            return answer.DialResponse;
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            _logger.LogDebug(ex, "autonat: asking {Server} failed: {Reason}", server, ex.Message);
            return null;
        }
    }

    /// <summary>The address the server reports it dialled, when it is one we sent (a server cannot make us advertise others).</summary>
    private static Multiaddr? ConfirmedAddress(AutoNatDialResponse answer, IReadOnlyList<Multiaddr> candidates)
    {
        try
        {
            return answer.Address is { } bytes && Multiaddr.FromBytes(bytes).WithoutPeerId() is var address && candidates.Contains(address) ? address : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private Reachability Record(int successes, int failures, Multiaddr? dialled)
    {
        var previous = _host.Reachability;
        if (successes == 0 && failures == 0)
        {
            return previous; // only refusals or no answers: nothing learnt
        }
        if (successes > 0)
        {
            _recentFailures = 0;
            _recentSuccesses = Math.Min(_recentSuccesses + successes, _options.SuccessesForPublic);
        }
        else
        {
            _recentSuccesses = 0;
            _recentFailures = Math.Min(_recentFailures + failures, _options.FailuresForPrivate);
        }
        var observation = _recentSuccesses >= _options.SuccessesForPublic ? Reachability.Public
            : _recentFailures >= _options.FailuresForPrivate ? Reachability.Private
            : Reachability.Unknown;
        if (observation == Reachability.Unknown)
        {
            return previous;
        }
        var next = previous;
        if (observation == previous)
        {
            _confidence = Math.Min(_confidence + 1, _options.MaxConfidence);
        }
        else if (_confidence > 0)
        {
            _confidence--;
        }
        else
        {
            next = observation;
        }
        if (dialled is not null && next == Reachability.Public)
        {
            Advertise(dialled);
        }
        if (next != Reachability.Public)
        {
            Unadvertise();
        }
        if (next != previous)
        {
            _host.Addresses.SetReachability(next);
            _logger.LogInformation("autonat: reachability {Previous} -> {Next} ({Successes} dial-backs succeeded, {Failures} failed{Address})",
                previous, next, successes, failures, dialled is null ? "" : $", reached at {dialled}");
        }
        return next;
    }

    private void Advertise(Multiaddr address)
    {
        lock (_confirmed)
        {
            if (_confirmed.Contains(address) || _host.ListenAddresses.Any(l => l.WithoutPeerId().Equals(address)))
            {
                return;
            }
            if (_host.Addresses.AddAdvertised(address))
            {
                _confirmed.Add(address);
                _logger.LogInformation("autonat: advertising confirmed address {Address}", address);
            }
        }
    }

    private void Unadvertise()
    {
        lock (_confirmed)
        {
            foreach (var address in _confirmed)
            {
                _host.Addresses.RemoveAdvertised(address);
            }
            _confirmed.Clear();
        }
    }
}
