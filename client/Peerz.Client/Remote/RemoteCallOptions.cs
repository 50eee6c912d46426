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
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(RequestTimeout);
        try
        {
            await DelimitedMessages.WriteAsync(stream, request, timeout.Token);
            return await DelimitedMessages.ReadAsync(stream, parser, MaxMessageBytes, timeout.Token)
                ?? throw new EndOfStreamException("the provider closed the stream without answering");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"the provider did not answer within {RequestTimeout.TotalSeconds:F0} s");
        }
    }
}
