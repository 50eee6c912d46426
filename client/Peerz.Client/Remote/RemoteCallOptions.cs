using Google.Protobuf;
using Peerz.Protocol.Framing;
using Peerz.Protocol.Tensors;
using Peerz.Protocol.Wire;

namespace Peerz.Client.Remote;

/// <summary>How the client talks to providers: compression of what it sends and asks back, limits and timeouts.</summary>
public sealed record RemoteCallOptions
{
    public TensorCompression Compression { get; init; } = TensorCompression.None;
    public int MaxMessageBytes { get; init; } = 64 << 20;
    public TensorLimits Limits { get; init; } = TensorLimits.Default;
    /// <summary>A provider that does not answer a request within this time is treated as failed.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Sends one message and reads one reply, bounded by <see cref="RequestTimeout"/>.</summary>
    internal async Task<TResponse> CallAsync<TResponse>(Stream stream, IMessage request, MessageParser<TResponse> parser, CancellationToken cancellationToken)
        where TResponse : class, IMessage<TResponse>
    {
        await SendAsync(stream, request, cancellationToken);
        return await ReceiveAsync(stream, parser, cancellationToken);
    }

    /// <summary>Writes one message, bounded by <see cref="RequestTimeout"/>.</summary>
    internal Task SendAsync(Stream stream, IMessage request, CancellationToken cancellationToken) =>
        Bounded(async token =>
        {
            await DelimitedMessages.WriteAsync(stream, request, token);
            return true;
        }, cancellationToken);

    /// <summary>Reads one reply, bounded by <see cref="RequestTimeout"/>.</summary>
    internal Task<TResponse> ReceiveAsync<TResponse>(Stream stream, MessageParser<TResponse> parser, CancellationToken cancellationToken)
        where TResponse : class, IMessage<TResponse> =>
        Bounded(async token => await DelimitedMessages.ReadAsync(stream, parser, MaxMessageBytes, token)
            ?? throw new EndOfStreamException("the provider closed the stream without answering"), cancellationToken);

    private async Task<T> Bounded<T>(Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(RequestTimeout);
        try
        {
            return await call(timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"the provider did not answer within {RequestTimeout.TotalSeconds:F0} s");
        }
    }
}
