using Peerz.Discovery;

namespace Peerz.Gateway.Tests.Network;

/// <summary>A swarm whose announcements and pings the test scripts: a ping either answers after a delay or never (until cancelled).</summary>
public sealed class FakeSwarm(IReadOnlyList<ProviderRecord> announced) : ISwarmSurvey
{
    private int _surveys;

    /// <summary>Round trip by peer id; a peer missing here never answers.</summary>
    public Dictionary<string, TimeSpan> Pings { get; } = [];

    public HashSet<string> Relayed { get; } = [];

    /// <summary>When set, the DHT lookup hangs until cancelled.</summary>
    public bool DhtHangs { get; set; }

    public int Surveys => Volatile.Read(ref _surveys);

    public async Task<IReadOnlyList<ProviderRecord>> AnnouncedAsync(string modelId, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _surveys);
        if (DhtHangs) await Task.Delay(Timeout.Infinite, cancellationToken);
        return [.. announced.Where(r => r.ModelId == modelId)];
    }

    /// <summary>Every scripted announcement, whatever its model, as if one walk had met every provider.</summary>
    public async Task<IReadOnlyList<ProviderRecord>> SampleAnnouncementsAsync(CancellationToken cancellationToken)
    {
        if (DhtHangs) await Task.Delay(Timeout.Infinite, cancellationToken);
        return announced;
    }

    public async Task<TimeSpan> PingAsync(string peerId, CancellationToken cancellationToken)
    {
        if (!Pings.TryGetValue(peerId, out var roundTrip)) await Task.Delay(Timeout.Infinite, cancellationToken);
        await Task.Delay(roundTrip, cancellationToken);
        return roundTrip;
    }

    public bool IsRelayed(string peerId) => Relayed.Contains(peerId);
}
