using System.Diagnostics.Metrics;
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
    private readonly Counter<long> _tokens;
    private readonly Counter<long> _requests;
    private readonly Counter<long> _sessionsOpened;
    private readonly Histogram<double> _duration;
    private volatile ServedSpan? _served;

    public ServingMetrics(PeerzMeters meters)
    {
        var meter = meters.Create("Serving");
        _tokens = meter.CreateCounter<long>("peerz_provider_tokens_total", description: "Tokens (batch x positions) computed through the served span, by protocol");
        _requests = meter.CreateCounter<long>("peerz_provider_requests_total",
            description: "Inference steps, forward and backward calls answered (result ok), and requests refused (result = error code), by protocol");
        _sessionsOpened = meter.CreateCounter<long>("peerz_provider_sessions_opened_total", description: "Inference sessions opened");
        _duration = meter.CreateSecondsHistogram("peerz_provider_step_duration_seconds",
            "Time to compute one inference step, forward or backward call, including the wait for the compute lane");
        // Before a span is served (the model still loading) these read 0.
        meter.CreateObservableGauge("peerz_provider_sessions_open", () => (double)(_served?.ActiveSessions ?? 0), description: "Inference sessions open now");
        meter.CreateObservableGauge("peerz_provider_cache_used_bytes", () => (double)(_served?.CacheBudget.UsedBytes ?? 0), description: "KV cache bytes held by open sessions");
        meter.CreateObservableGauge("peerz_provider_cache_free_bytes", () => (double)(_served?.CacheBudget.FreeBytes ?? 0), description: "KV cache bytes still free for new sessions");
        _sessionsOpened.Add(0);
    }

    /// <summary>Reads sessions and cache from <paramref name="served"/> at every scrape.</summary>
    public void Track(ServedSpan served) => _served = served;

    public void SessionOpened() => _sessionsOpened.Add(1);

    public void Served(string protocol, long tokens, TimeSpan elapsed)
    {
        var byProtocol = new KeyValuePair<string, object?>("protocol", protocol);
        _requests.Add(1, byProtocol, new KeyValuePair<string, object?>("result", "ok"));
        _tokens.Add(tokens, byProtocol);
        _duration.Record(elapsed.TotalSeconds, byProtocol);
    }

    public void Refused(string protocol, ErrorCode code) =>
        _requests.Add(1, new KeyValuePair<string, object?>("protocol", protocol), new KeyValuePair<string, object?>("result", ResultOf(code)));

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
