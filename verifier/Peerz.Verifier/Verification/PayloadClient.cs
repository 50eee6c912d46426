using Google.Protobuf;
using Peerz.Client.Routing;
using Peerz.Protocol.Framing;
using Peerz.Protocol.Wire;

namespace Peerz.Verifier.Verification;

/// <summary>Asks a provider for the payload behind a receipt over /peerz/payload/1.0.0, bounded in size and time.</summary>
public sealed class PayloadClient(IProviderConnector connector, int maxPayloadBytes, TimeSpan timeout)
{
    public const string ProtocolId = "/peerz/payload/1.0.0";

    /// <summary>The session's steps up to <paramref name="step"/>, or null with the reason the provider could not produce them.</summary>
    public async Task<(PayloadSteps? Steps, string Problem)> FetchAsync(ProviderRecord provider, byte[] sessionId, ulong step, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await using var stream = await connector.OpenStreamAsync(provider, ProtocolId, deadline.Token);
            await DelimitedMessages.WriteAsync(stream, new PayloadRequest { SessionId = ByteString.CopyFrom(sessionId), Step = step }, deadline.Token);
            var response = await DelimitedMessages.ReadAsync(stream, PayloadResponse.Parser, maxPayloadBytes, deadline.Token);
            return response switch
            {
                null => (null, "the provider closed the stream without an answer"),
                { Error: { } error } => (null, $"the provider answered {error.Code}: {error.Message}"),
                { Steps: { } steps } => (steps, ""),
                _ => (null, "the provider sent an empty answer"),
            };
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (null, $"no payload within {timeout.TotalSeconds:F0} s");
        }
        catch (Exception e) when (e is IOException or ProtocolViolationException or InvalidOperationException or System.Net.Sockets.SocketException)
        {
            return (null, $"the payload could not be fetched: {e.Message}");
        }
    }
}
