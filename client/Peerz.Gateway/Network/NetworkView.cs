using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Peerz.Chain.Crypto;
using Peerz.Discovery;
using Peerz.Hosting;
using Peerz.Protocol.Wire;

namespace Peerz.Gateway.Network;

/// <summary>
/// The network map behind GET /v1/network: the DHT's announcements for each model, a bounded ping to every announced
/// provider, and stake and jail from the registry. The models are the gateway's own (<paramref name="models"/>) and every
/// model found announced by the peers of a random-walk lookup, one walk per survey, remembered while announced (a DHT cannot
/// list its keys, so a model is found once one of its providers is sampled; at most <see cref="NetworkViewOptions.MaxModels"/>). One survey runs at a time and its result is shared for
/// <see cref="NetworkViewOptions.CacheFor"/>, so any number of polling pages cost one DHT walk per period; every read is
/// bounded, and a failed read becomes an error field of the snapshot instead of a failed request.
/// </summary>
public sealed class NetworkView(
    ISwarmSurvey? swarm,
    IReadOnlyList<ModelShape> models,
    IStakeReader? stakes,
    IOptions<NetworkViewOptions> options,
    TimeProvider time,
    ILogger<NetworkView> logger)
{
    private readonly NetworkViewOptions _options = options.Value;

    /// <summary>Models found by sampling, by id: remembered across surveys (surveys run one at a time), dropped when nobody announces them.</summary>
    private readonly Dictionary<string, ModelShape> _found = new(StringComparer.Ordinal);
    private SharedRead<NetworkSnapshot>? _shared;

    /// <summary>The current survey: the cached one while it is fresh (or still running), else a new one.</summary>
    public Task<NetworkSnapshot> GetAsync(CancellationToken cancellationToken)
    {
        // Created on first use (a primary constructor cannot hand SurveyAsync to a field initializer); the exchange keeps it one.
        if (_shared is null) Interlocked.CompareExchange(ref _shared, new SharedRead<NetworkSnapshot>(SurveyAsync, _options.CacheFor, time), null);
        return _shared.GetAsync(cancellationToken);
    }

    private async Task<NetworkSnapshot> SurveyAsync()
    {
        var readAt = time.GetUtcNow();
        if (swarm is null)
            return new NetworkSnapshot(readAt, false, null, null, null, [.. models.Select(m => Map(m, []))]);

        string? dhtError = null;
        var announced = new Dictionary<string, IReadOnlyList<ProviderRecord>>();
        IReadOnlyList<ModelShape> surveyed;
        using (var dht = new CancellationTokenSource(_options.DhtTimeout, time))
        {
            // WaitAsync as well as the token: the bound holds even where a lookup does not observe cancellation promptly.
            async Task<IReadOnlyList<ProviderRecord>?> BoundedAsync(Func<Task<IReadOnlyList<ProviderRecord>>> read, string what)
            {
                try
                {
                    return await read().WaitAsync(dht.Token);
                }
                catch (Exception e) when (e is OperationCanceledException or IOException or TimeoutException or InvalidOperationException)
                {
                    dhtError = dht.IsCancellationRequested ? $"the DHT lookup took longer than {_options.DhtTimeout.TotalSeconds:0.#} s" : e.Message;
                    logger.LogInformation("network map: {What} failed: {Error}", what, dhtError);
                    return null;
                }
            }

            // The sample runs beside the gateway's own models' lookups, so finding other models never delays the map of its own.
            var sample = BoundedAsync(() => swarm.SampleAnnouncementsAsync(dht.Token), "sampling the DHT for models");
            foreach (var model in models) announced[model.Id] = await BoundedAsync(() => swarm.AnnouncedAsync(model.Id, dht.Token), $"DHT lookup for {model.Id}") ?? [];
            if (await sample is { } sampled) Remember(sampled);
            foreach (var model in _found.Values.OrderBy(m => m.Id, StringComparer.Ordinal).ToList())
            {
                var found = await BoundedAsync(() => swarm.AnnouncedAsync(model.Id, dht.Token), $"DHT lookup for {model.Id}");
                // A found model nobody announces any more is forgotten (not merely one whose lookup failed); otherwise its depth follows its providers.
                if (found is { Count: 0 }) _found.Remove(model.Id);
                else if (found is not null) Remember(found);
                announced[model.Id] = found ?? [];
            }

            surveyed = [.. models, .. _found.Values.OrderBy(m => m.Id, StringComparer.Ordinal)];
        }

        var records = announced.Values.SelectMany(r => r).ToList();
        var pings = records.Select(r => r.PeerId).Distinct().ToDictionary(p => p, PingAsync);
        var (chainBlock, chainError, entries) = await ReadStakesAsync(records);
        var results = new Dictionary<string, PingResult>();
        foreach (var (peer, ping) in pings) results[peer] = await ping;

        var maps = surveyed.Select(model => Map(model, announced[model.Id].Select(r => Status(r, results[r.PeerId], entries, chainBlock is not null)).ToList())).ToList();
        return new NetworkSnapshot(readAt, true, chainBlock, chainError, dhtError, maps);
    }

    /// <summary>
    /// Adds the models of <paramref name="records"/> the gateway does not run, up to the bound. Their depth is the largest
    /// announced (a provider that does not announce it implies at least its span's end), capped, since announcements are untrusted.
    /// </summary>
    private void Remember(IEnumerable<ProviderRecord> records)
    {
        foreach (var group in records.Where(r => r.ModelId.Length is > 0 and <= NetworkViewOptions.MaxModelIdLength && models.All(m => m.Id != r.ModelId)).GroupBy(r => r.ModelId))
        {
            if (!_found.ContainsKey(group.Key) && _found.Count >= _options.MaxModels) continue;
            var blocks = group.Max(r => Math.Max(r.ModelBlocks, r.End));
            _found[group.Key] = new ModelShape(group.Key, Math.Clamp(blocks, 1, NetworkViewOptions.MaxBlocks));
        }
    }

    private async Task<PingResult> PingAsync(string peerId)
    {
        using var bound = new CancellationTokenSource(_options.PingTimeout, time);
        try
        {
            var roundTrip = await swarm!.PingAsync(peerId, bound.Token).WaitAsync(bound.Token);
            return new PingResult(roundTrip.TotalMilliseconds, swarm.IsRelayed(peerId), null);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or TimeoutException or InvalidOperationException or InvalidDataException or FormatException)
        {
            return new PingResult(null, false, bound.IsCancellationRequested ? $"no ping answer within {_options.PingTimeout.TotalSeconds:0.#} s" : e.Message);
        }
    }

    private async Task<(ulong? Block, string? Error, IReadOnlyDictionary<string, StakeEntry> Entries)> ReadStakesAsync(IReadOnlyList<ProviderRecord> records)
    {
        if (stakes is null) return (null, null, new Dictionary<string, StakeEntry>());
        var accounts = records.Select(r => r.Account).Where(a => Address.TryParse(a, out _)).Select(a => a.ToLowerInvariant()).Distinct().ToList();
        using var bound = new CancellationTokenSource(_options.ChainTimeout, time);
        var started = Stopwatch.GetTimestamp();
        try
        {
            var snapshot = await stakes.ReadAsync(accounts, bound.Token).WaitAsync(bound.Token);
            return (snapshot.BlockNumber, null, snapshot.Accounts);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or HttpRequestException or TimeoutException or InvalidOperationException or FormatException)
        {
            var error = bound.IsCancellationRequested ? $"the chain did not answer within {_options.ChainTimeout.TotalSeconds:0.#} s" : e.Message;
            logger.LogInformation("network map: chain read failed after {Elapsed}: {Error}", Stopwatch.GetElapsedTime(started), error);
            return (null, error, new Dictionary<string, StakeEntry>());
        }
    }

    private static ProviderStatus Status(ProviderRecord record, PingResult ping, IReadOnlyDictionary<string, StakeEntry> entries, bool chainRead)
    {
        var entry = entries.GetValueOrDefault(record.Account.ToLowerInvariant());
        var announced = record.State switch
        {
            ServerState.Online => "online",
            ServerState.Joining => "joining",
            ServerState.Offline => "offline",
            _ => "unspecified",
        };
        // Jail first: whatever the provider announces, the registry says it is not to be used (a slash is pending).
        var state = entry is { Jailed: true } ? "jailed"
            : announced != "online" ? announced
            : ping.LatencyMs is null ? "unreachable"
            : ping.Relayed ? "relayed"
            : "online";
        var reachability = record.Reachability switch
        {
            Reachability.Public => "public",
            Reachability.Private => "private",
            _ => "unknown",
        };
        return new ProviderStatus(record.PeerId, record.Account, record.Start, record.End, state, announced, reachability, record.Throughput, record.PricePerToken,
            entry?.Stake, chainRead ? entry?.Jailed ?? false : null, ping.LatencyMs, ping.Error);
    }

    /// <summary>Sorts the providers along the strip and counts, per block, those that can serve it now.</summary>
    public static ModelMap Map(ModelShape model, IReadOnlyList<ProviderStatus> providers)
    {
        var redundancy = new int[model.Blocks];
        foreach (var p in providers.Where(p => p.State is "online" or "relayed"))
            for (var b = Math.Max(p.Start, 0); b < Math.Min(p.End, model.Blocks); b++) redundancy[b]++;
        var gaps = new List<BlockRange>();
        for (var b = 0; b < model.Blocks; b++)
        {
            if (redundancy[b] > 0) continue;
            if (gaps.Count > 0 && gaps[^1].End == b) gaps[^1] = gaps[^1] with { End = b + 1 };
            else gaps.Add(new BlockRange(b, b + 1));
        }
        return new ModelMap(model.Id, model.Blocks, [.. providers.OrderBy(p => p.Start).ThenBy(p => p.End).ThenBy(p => p.PeerId, StringComparer.Ordinal)], redundancy, gaps);
    }

    private sealed record PingResult(double? LatencyMs, bool Relayed, string? Error);
}
