using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Peerz.Settlement.Http;

namespace Peerz.Client.Payments;

/// <summary>
/// Passes accepted receipts on, in the background, to services that take them on <c>POST /v1/receipts</c>:
/// settlement (which counts the work for rewards) and verifiers (which sample and check them). Bounded: when
/// the queue is full the oldest reports are dropped; generation is never slowed down.
/// </summary>
public sealed class ReceiptReporter : IAsyncDisposable
{
    private const int Capacity = 1024;
    private readonly IReadOnlyList<SettlementClient> _endpoints;
    private readonly ILogger _logger;
    private readonly Channel<PaymentRecord> _queue = Channel.CreateBounded<PaymentRecord>(new BoundedChannelOptions(Capacity) { FullMode = BoundedChannelFullMode.DropOldest });
    private readonly Task _sender;

    public ReceiptReporter(HttpClient http, IReadOnlyList<Uri> endpoints, ILogger<ReceiptReporter> logger)
    {
        _endpoints = endpoints.Select(endpoint => new SettlementClient(http, endpoint)).ToList();
        _logger = logger;
        _sender = SendAsync();
    }

    public void Report(PaymentRecord record) => _queue.Writer.TryWrite(record);

    private async Task SendAsync()
    {
        await foreach (var record in _queue.Reader.ReadAllAsync())
        {
            foreach (var endpoint in _endpoints)
            {
                try
                {
                    using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                    await endpoint.ReportReceiptAsync(record.Receipt.Receipt, record.Receipt.Signature, timeout.Token);
                }
                catch (Exception e) when (e is HttpRequestException or OperationCanceledException or SettlementException)
                {
                    _logger.LogDebug("a receipt report was not taken: {Error}", e.Message);
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
