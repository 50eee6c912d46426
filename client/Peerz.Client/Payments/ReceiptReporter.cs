using System.Net.Http.Headers;
using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Peerz.Protocol.Payments;

namespace Peerz.Client.Payments;

/// <summary>
/// Passes accepted receipts on to verifiers (POST {endpoint}/v1/receipts) in the background, so a verifier can
/// sample them. Bounded: when the queue is full the oldest reports are dropped, never the generation slowed.
/// </summary>
public sealed class ReceiptReporter : IAsyncDisposable
{
    private const int Capacity = 1024;
    private readonly HttpClient _http;
    private readonly IReadOnlyList<Uri> _endpoints;
    private readonly ILogger _logger;
    private readonly Channel<ReceiptReport> _queue = Channel.CreateBounded<ReceiptReport>(new BoundedChannelOptions(Capacity) { FullMode = BoundedChannelFullMode.DropOldest });
    private readonly Task _sender;

    public ReceiptReporter(HttpClient http, IReadOnlyList<Uri> endpoints, ILogger<ReceiptReporter> logger)
    {
        _http = http;
        _endpoints = endpoints;
        _logger = logger;
        _sender = SendAsync();
    }

    public void Report(string peerId, SignedReceipt receipt) => _queue.Writer.TryWrite(new ReceiptReport(peerId, receipt));

    private async Task SendAsync()
    {
        await foreach (var report in _queue.Reader.ReadAllAsync())
        {
            foreach (var endpoint in _endpoints)
            {
                try
                {
                    using var content = new StringContent(report.ToJson(), Encoding.UTF8, new MediaTypeHeaderValue("application/json"));
                    using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                    using var response = await _http.PostAsync(new Uri(endpoint, "v1/receipts"), content, timeout.Token);
                    if (!response.IsSuccessStatusCode) _logger.LogDebug("{Endpoint} refused a receipt report: {Status}", endpoint, response.StatusCode);
                }
                catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
                {
                    _logger.LogDebug("could not report a receipt to {Endpoint}: {Error}", endpoint, e.Message);
                }
            }
        }
    }

    /// <summary>Sends what is queued (bounded by each request's timeout), then stops.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _sender;
    }
}
