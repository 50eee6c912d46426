using System.Numerics;
using Peerz.Chain.Crypto;
using Peerz.Discovery;
using Peerz.Protocol.Framing;
using Peerz.Protocol.Payments;
using Peerz.Protocol.Wire;

namespace Peerz.Verifier.Verification;

/// <summary>
/// Asks a provider for the payload behind a receipt over /peerz/payload/1.0.0 (v2): each request is signed by the
/// verifier's key (<see cref="PayloadAccess"/>; providers answer only the session's client and VERIFIER_ROLE holders)
/// and asks for the steps from <c>from_step</c> on; each answer is read within <see cref="PayloadLimits.MaxFrameBytes"/>
/// (the provider's <see cref="PayloadLimits.MaxResponseBytes"/> plus framing, so an honest answer always fits) and the
/// verifier asks again while <c>more</c> is set. A whole session is bounded by <paramref name="maxSessionBytes"/>, each
/// answer by <paramref name="timeout"/>.
/// </summary>
public sealed class PayloadClient(IProviderConnector connector, EthKey requester, BigInteger chainId, Address registry, long maxSessionBytes, TimeSpan timeout, TimeProvider time)
{
    public const string ProtocolId = "/peerz/payload/1.0.0";

    /// <summary>Steps 0..<paramref name="step"/> of the session, in order.</summary>
    public async Task<PayloadFetch> FetchAsync(ProviderRecord provider, byte[] sessionId, ulong step, CancellationToken cancellationToken)
    {
        var steps = new List<StepPayload>();
        long bytes = 0;
        while ((ulong)steps.Count <= step)
        {
            var from = (ulong)steps.Count;
            var (answer, problem) = await FetchChunkAsync(provider, new PayloadAccess(sessionId, step, from, (ulong)time.GetUtcNow().ToUnixTimeSeconds()), cancellationToken);
            if (answer is null) return PayloadFetch.Failed(problem);
            if (answer.Steps.Count == 0) return PayloadFetch.Failed($"the provider answered no steps from step {from}");
            steps.AddRange(answer.Steps);
            bytes += answer.CalculateSize();
            if (bytes > maxSessionBytes) return new PayloadFetch(null, $"the session's payload exceeds the verifier's bound of {maxSessionBytes} bytes", false);
            if (!answer.More) break;
        }
        return (ulong)steps.Count == step + 1
            ? new PayloadFetch(steps, "", true)
            : PayloadFetch.Failed($"the payload has {steps.Count} steps, not {step + 1}");
    }

    private async Task<(PayloadSteps? Steps, string Problem)> FetchChunkAsync(ProviderRecord provider, PayloadAccess access, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await using var stream = await connector.OpenStreamAsync(provider, ProtocolId, deadline.Token);
            await DelimitedMessages.WriteAsync(stream, access.ToSignedRequest(requester, chainId, registry), deadline.Token);
            var response = await DelimitedMessages.ReadAsync(stream, PayloadResponse.Parser, PayloadLimits.MaxFrameBytes, deadline.Token);
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
        catch (Exception e) when (e is IOException or ProtocolViolationException or InvalidOperationException or System.Net.Sockets.SocketException
            or Google.Protobuf.InvalidProtocolBufferException)
        {
            return (null, $"the payload could not be fetched: {e.Message}");
        }
    }
}
