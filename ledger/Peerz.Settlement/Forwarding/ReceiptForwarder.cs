using System.Net.Http.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Peerz.Settlement.Contributions;
using Peerz.Settlement.Http;

namespace Peerz.Settlement.Forwarding;

/// <summary>
/// Passes every accepted receipt to the configured verifiers with the body of <c>POST /v1/receipts</c>, so any
/// receipt settlement may reward can be sampled, whoever reported it. A bounded queue drained in the background:
/// intake only enqueues (the oldest waiting receipt is dropped when full, and counted), and a slow or dead
/// verifier costs at most <see cref="SettlementOptions.ForwardTimeout"/> per receipt.
/// </summary>
public sealed class ReceiptForwarder : IAsyncDisposable
{
    private readonly HttpClient _http;
    private readonly IReadOnlyList<Uri> _verifiers;
    private readonly TimeSpan _timeout;
    private readonly ILogger<ReceiptForwarder> _logger;
    private readonly Channel<ReceiptReport> _queue;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _sender;
    private long _dropped;

    public ReceiptForwarder(HttpClient http, SettlementOptions options, ILogger<ReceiptForwarder> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _http = http;
        _verifiers = [.. options.VerifierUrls.Select(u => new Uri(u, "v1/receipts"))];
        _timeout = options.ForwardTimeout;
        _logger = logger;
        _queue = Channel.CreateBounded<ReceiptReport>(
            new BoundedChannelOptions(options.ForwardQueueCapacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true },
            _ => Interlocked.Increment(ref _dropped));
        _sender = _verifiers.Count == 0 ? Task.CompletedTask : Task.Run(SendAsync);
    }

    /// <summary>Receipts dropped because the queue was full.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Queues <paramref name="report"/> for every verifier; never waits.</summary>
    public void Forward(ReceiptReport report)
    {
        if (_verifiers.Count > 0) _queue.Writer.TryWrite(report);
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _sender.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stopping.Dispose();
    }

    private async Task SendAsync()
    {
        await foreach (var report in _queue.Reader.ReadAllAsync(_stopping.Token).ConfigureAwait(false))
        {
            foreach (var verifier in _verifiers)
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
                timeout.CancelAfter(_timeout);
                try
                {
                    using var response = await _http.PostAsJsonAsync(verifier, report, SettlementJson.Options, timeout.Token).ConfigureAwait(false);
                    if (!response.IsSuccessStatusCode) _logger.LogInformation("Verifier {Verifier} refused a receipt: {Status}", verifier, (int)response.StatusCode);
                }
                catch (Exception e) when (e is HttpRequestException || (e is OperationCanceledException && !_stopping.IsCancellationRequested))
                {
                    _logger.LogInformation("Forwarding a receipt to {Verifier} failed: {Reason}", verifier, e.Message);
                }
            }
        }
    }
}
