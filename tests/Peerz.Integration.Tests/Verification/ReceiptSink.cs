using System.Net;
using System.Text.Json;
using Peerz.Settlement.Contributions;
using Peerz.Testing.Chain;

namespace Peerz.Integration.Tests.Verification;

/// <summary>
/// An HTTP endpoint on 127.0.0.1 that takes <c>POST /v1/receipts</c> as settlement does (answering with a report
/// result) and keeps what it was sent, for tests of who reports which receipts.
/// </summary>
internal sealed class ReceiptSink : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly List<ReceiptReport> _reports = [];
    private Task _serving = Task.CompletedTask;

    private ReceiptSink(Uri url) => Url = url;

    public Uri Url { get; }

    public IReadOnlyList<ReceiptReport> Reports
    {
        get
        {
            lock (_reports) return [.. _reports];
        }
    }

    public static Task<ReceiptSink> StartAsync()
    {
        var sink = new ReceiptSink(new Uri($"http://127.0.0.1:{HardhatNode.FreePort()}/"));
        sink._listener.Prefixes.Add(sink.Url.ToString());
        sink._listener.Start();
        sink._serving = Task.Run(sink.ServeAsync);
        return Task.FromResult(sink);
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
            {
                return;
            }
            var ok = context.Request.HttpMethod == "POST" && context.Request.Url!.AbsolutePath == "/v1/receipts";
            if (ok && await JsonSerializer.DeserializeAsync<ReceiptReport>(context.Request.InputStream) is { } report)
            {
                lock (_reports) _reports.Add(report);
            }
            context.Response.StatusCode = ok ? 202 : 404;
            await JsonSerializer.SerializeAsync(context.Response.OutputStream, new ReportResult(0, "provider", "1", false, "key"));
            context.Response.Close();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await _serving;
    }
}
