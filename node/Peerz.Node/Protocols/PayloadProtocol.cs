using Microsoft.Extensions.Logging;
using Peerz.Chain.Rpc;
using Peerz.Node.Payments;
using Peerz.Protocol.Framing;
using Peerz.Protocol.Payments;
using Peerz.Protocol.Wire;

namespace Peerz.Node.Protocols;

/// <summary>
/// /peerz/payload/1.0.0: hands the bytes behind signed receipts to whoever may recheck them: the session's paying
/// client or a holder of VERIFIER_ROLE, identified by an EIP-712 signature over the request with a fresh timestamp
/// (<see cref="PayloadAccess"/>). Answers are bounded by <see cref="PayloadLimits.MaxResponseBytes"/> and chunked
/// (<c>from_step</c>, <c>more</c>); reads have a deadline and few requests are served at once, so a slow or hostile
/// reader cannot hold the provider's memory. Not producing a payload it signed for counts as a fault.
/// </summary>
public sealed class PayloadProtocol(ProviderPayments payments, VerifierRoles? verifiers, TimeProvider time, ILogger<PayloadProtocol> logger)
{
    /// <summary>Payload answers being read or written at once; each may hold up to two copies of an answer in memory.</summary>
    public const int MaxConcurrentRequests = 4;

    private static readonly TimeSpan ReadDeadline = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan WriteDeadline = TimeSpan.FromMinutes(2);
    private readonly SemaphoreSlim _concurrent = new(MaxConcurrentRequests, MaxConcurrentRequests);

    public async Task HandleAsync(Stream stream, CancellationToken cancellationToken)
    {
        if (!_concurrent.Wait(0, CancellationToken.None))
        {
            await WriteAsync(stream, Error(ErrorCode.Busy, $"{MaxConcurrentRequests} payload requests are being served; retry shortly"), cancellationToken);
            return;
        }
        try
        {
            using var read = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            read.CancelAfter(ReadDeadline);
            var request = await DelimitedMessages.ReadAsync(stream, PayloadRequest.Parser, PayloadLimits.MaxRequestBytes, read.Token);
            if (request is null) return;
            await WriteAsync(stream, await AnswerAsync(request, cancellationToken), cancellationToken);
        }
        finally
        {
            _concurrent.Release();
        }
    }

    private static async Task WriteAsync(Stream stream, PayloadResponse response, CancellationToken cancellationToken)
    {
        using var write = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        write.CancelAfter(WriteDeadline);
        await DelimitedMessages.WriteAsync(stream, response, write.Token);
    }

    private async Task<PayloadResponse> AnswerAsync(PayloadRequest request, CancellationToken cancellationToken)
    {
        if (request.SessionId.Length != 32) return Error(ErrorCode.BadRequest, "session id must be 32 bytes");
        if (request.FromStep > request.Step) return Error(ErrorCode.BadRequest, $"from_step {request.FromStep} is after step {request.Step}");
        var options = payments.Options;
        if (PayloadAccess.VerifiedRequester(request, options.ChainId, options.Registry) is not { } requester)
            return Denied("the request is not signed by the requester it names (EIP-712 PayloadRequest in the registry's domain)");
        var skew = Math.Abs((double)request.Timestamp - time.GetUtcNow().ToUnixTimeSeconds());
        if (skew > PayloadLimits.MaxClockSkew.TotalSeconds)
            return Denied($"the request's timestamp is {skew:F0} s from the provider's clock (at most {PayloadLimits.MaxClockSkew.TotalSeconds:F0} s)");
        var sessionId = request.SessionId.ToByteArray();
        if (await payments.Ledger.GetSessionClientAsync(sessionId, cancellationToken) is not { } client)
            return Error(ErrorCode.NotFound, "that session is not held (unknown, or past the retention window)");
        if (requester != client && !await IsVerifierAsync(requester, cancellationToken))
            return Denied($"{requester} is neither the session's client nor a holder of VERIFIER_ROLE");
        var chunk = await payments.Ledger.GetStepsAsync(sessionId, request.FromStep, request.Step,
            Math.Min(options.MaxPayloadAnswerBytes, PayloadLimits.MaxResponseBytes), cancellationToken);
        if (chunk is null)
            return Error(ErrorCode.NotFound, $"steps {request.FromStep}..{request.Step} of that session are not all held (past the retention window or never answered)");
        var answer = new PayloadSteps { More = chunk.More };
        answer.Steps.AddRange(chunk.Steps.Select(s => new StepPayload
        {
            Input = Google.Protobuf.ByteString.CopyFrom(s.Input),
            Output = Google.Protobuf.ByteString.CopyFrom(s.Output),
            Receipt = Receipt.Parser.ParseFrom(s.Receipt),
        }));
        return new PayloadResponse { Steps = answer };
    }

    private async Task<bool> IsVerifierAsync(Chain.Crypto.Address requester, CancellationToken cancellationToken)
    {
        if (verifiers is null) return false;
        try
        {
            return await verifiers.IsVerifierAsync(requester, cancellationToken);
        }
        catch (Exception e) when (e is RpcException or HttpRequestException)
        {
            logger.LogWarning("cannot read VERIFIER_ROLE of {Requester}: {Error}", requester, e.Message);
            return false;
        }
    }

    private PayloadResponse Denied(string message)
    {
        logger.LogInformation("payload request denied: {Reason}", message);
        return Error(ErrorCode.PermissionDenied, message);
    }

    private static PayloadResponse Error(ErrorCode code, string message) => new() { Error = new PeerzError { Code = code, Message = message } };
}
