using System.Text;
using Peerz.Hosting.Metrics;
using Peerz.Node.Serving;
using Peerz.Protocol.Wire;

namespace Peerz.Node.Metrics;

/// <summary>
/// What a provider's operator watches: tokens served, requests by protocol and result, compute
/// latency, open sessions and KV-cache use. The last two are read from the served span at scrape time.
/// </summary>
public sealed class ServingMetrics
{
    private readonly Counter _tokens;
    private readonly Counter _requests;
    private readonly Counter _sessionsOpened;
    private readonly Histogram _duration;
    private readonly Gauge _sessionsOpen;
    private readonly Gauge _cacheUsed;
    private readonly Gauge _cacheFree;

    public ServingMetrics(MetricsRegistry registry)
    {
        _tokens = registry.Counter("peerz_provider_tokens_total", "Tokens (batch x positions) computed through the served span, by protocol", "protocol");
        _requests = registry.Counter("peerz_provider_requests_total", "Inference steps, forward and backward calls answered (result ok), and requests refused (result = error code), by protocol", "protocol", "result");
        _sessionsOpened = registry.Counter("peerz_provider_sessions_opened_total", "Inference sessions opened");
        _duration = registry.Histogram("peerz_provider_step_duration_seconds", "Time to compute one inference step, forward or backward call, including the wait for the compute lane", Histogram.DefaultSecondsBuckets, "protocol");
        _sessionsOpen = registry.Gauge("peerz_provider_sessions_open", "Inference sessions open now");
        _cacheUsed = registry.Gauge("peerz_provider_cache_used_bytes", "KV cache bytes held by open sessions");
        _cacheFree = registry.Gauge("peerz_provider_cache_free_bytes", "KV cache bytes still free for new sessions");
    }

    /// <summary>Reads sessions and cache from <paramref name="served"/> at every scrape.</summary>
    public void Track(ServedSpan served)
    {
        _sessionsOpen.SetFunction(() => served.ActiveSessions);
        _cacheUsed.SetFunction(() => served.CacheBudget.UsedBytes);
        _cacheFree.SetFunction(() => served.CacheBudget.FreeBytes);
    }

    public void SessionOpened() => _sessionsOpened.Inc();

    public void Served(string protocol, long tokens, TimeSpan elapsed)
    {
        _requests.WithLabels(protocol, "ok").Inc();
        _tokens.WithLabels(protocol).Inc(tokens);
        _duration.WithLabels(protocol).Observe(elapsed.TotalSeconds);
    }

    public void Refused(string protocol, ErrorCode code) => _requests.WithLabels(protocol, ResultOf(code)).Inc();

    /// <summary>ErrorCode.LimitExceeded → "limit_exceeded", the proto enum's own spelling.</summary>
    public static string ResultOf(ErrorCode code)
    {
        var name = code.ToString();
        var result = new StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0) result.Append('_');
            result.Append(char.ToLowerInvariant(name[i]));
        }
        return result.ToString();
    }
}
