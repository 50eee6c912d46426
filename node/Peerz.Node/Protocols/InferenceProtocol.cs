using Microsoft.Extensions.Logging;
using Peerz.Model.Blocks;
using Peerz.Node.Payments;
using Peerz.Node.Serving;
using Peerz.Protocol.Framing;
using Peerz.Protocol.Payments;
using Peerz.Protocol.Tensors;
using Peerz.Protocol.Wire;

namespace Peerz.Node.Protocols;

/// <summary>
/// /peerz/inference/1.0.0: one stream per session. The client opens a session over a sub-range of
/// the served blocks, then sends steps of hidden states in position order; the provider extends
/// its KV cache and returns the span's output. A refused step leaves the session as it was.
/// With payments on, each step is charged before it is computed and its output carries a signed receipt.
/// </summary>
public sealed class InferenceProtocol(ServedSpan served, ProviderPayments? payments, ILogger<InferenceProtocol> logger)
{
    public async Task HandleAsync(Stream stream, string remotePeer, CancellationToken cancellationToken)
    {
        // A peer that sends half a frame and stalls must not hold a handler: the open is bounded like any step.
        using var openDeadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        openDeadline.CancelAfter(served.Limits.SessionIdleTimeout);
        var first = await ReadAsync(stream, openDeadline.Token);
        if (first?.Open is not { } open)
        {
            if (first is not null) await ReplyErrorAsync(stream, new RequestRejectedException(ErrorCode.BadRequest, "a session must start with open"), cancellationToken);
            return;
        }
        InferenceSession session;
        IDisposable? slot;
        try
        {
            (session, slot) = Open(open);
        }
        catch (RequestRejectedException e)
        {
            await ReplyErrorAsync(stream, e, cancellationToken);
            return;
        }
        var sessionId = WorkIds.NewSession(WorkKind.Inference);
        var sessionHex = Convert.ToHexString(sessionId).ToLowerInvariant();
        using (slot)
        using (session)
        {
            served.Metrics.SessionOpened();
            logger.LogInformation("session {Session} opened by {Peer}: blocks [{Start}, {End}), max length {MaxLength}", sessionHex, remotePeer, open.BlockStart, open.BlockEnd, open.MaxLength);
            await DelimitedMessages.WriteAsync(stream, new InferenceResponse { Opened = new SessionOpened { SessionId = sessionHex, CacheBytes = (ulong)session.CacheBytes } }, cancellationToken);
            await ServeStepsAsync(stream, new OpenedSession(sessionId, open, session), cancellationToken);
            logger.LogInformation("session {Session} closed after {Positions} positions", sessionHex, session.Position);
        }
    }

    private (InferenceSession, IDisposable) Open(OpenSession open)
    {
        var blocks = RequestValidation.Blocks(served, open.ModelId, open.BlockStart, open.BlockEnd);
        if (open.BatchSize < 1 || open.BatchSize > served.Limits.MaxBatchSize)
            throw new RequestRejectedException(ErrorCode.LimitExceeded, $"batch size {open.BatchSize} is outside [1, {served.Limits.MaxBatchSize}]");
        if (open.MaxLength < 1 || open.MaxLength > served.Blocks.Config.MaxPositionEmbeddings)
            throw new RequestRejectedException(ErrorCode.LimitExceeded, $"max length {open.MaxLength} is outside [1, {served.Blocks.Config.MaxPositionEmbeddings}]");
        var slot = served.TryAcquireSessionSlot()
            ?? throw new RequestRejectedException(ErrorCode.Busy, $"all {served.Limits.MaxSessions} session slots are in use");
        try
        {
            return (blocks.OpenSession((int)open.BatchSize, (int)open.MaxLength, served.CacheBudget), slot);
        }
        catch (CacheBudgetExceededException e)
        {
            slot.Dispose();
            throw new RequestRejectedException(ErrorCode.Busy, e.Message);
        }
    }

    private async Task ServeStepsAsync(Stream stream, OpenedSession session, CancellationToken cancellationToken)
    {
        ulong expectedStep = 0;
        while (true)
        {
            using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            idle.CancelAfter(served.Limits.SessionIdleTimeout);
            InferenceRequest? request;
            try
            {
                request = await ReadAsync(stream, idle.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                await ReplyErrorAsync(stream, new RequestRejectedException(ErrorCode.Timeout, $"no step for {served.Limits.SessionIdleTimeout.TotalSeconds:F0} s; the session's cache was released"), cancellationToken);
                return;
            }
            if (request is null || request.Close is not null) return;
            try
            {
                var output = await StepAsync(session, request.Step, expectedStep, cancellationToken);
                expectedStep++;
                await DelimitedMessages.WriteAsync(stream, new InferenceResponse { Output = output }, cancellationToken);
            }
            catch (RequestRejectedException e)
            {
                await ReplyErrorAsync(stream, e, cancellationToken);
            }
        }
    }

    private async Task<StepOutput> StepAsync(OpenedSession opened, InferenceStep? step, ulong expectedStep, CancellationToken cancellationToken)
    {
        var session = opened.Cache;
        if (step is null)
            throw new RequestRejectedException(ErrorCode.BadRequest, "expected a step or close");
        if (step.Step != expectedStep || step.Position != session.Position)
            throw new RequestRejectedException(ErrorCode.BadRequest, $"step {step.Step} at position {step.Position} is out of order; expected step {expectedStep} at position {session.Position}");
        using var hidden = RequestValidation.Hidden(served, step.Hidden, "hidden states", session.BatchSize);
        if (session.Position + hidden.shape[1] > session.MaxLength)
            throw new RequestRejectedException(ErrorCode.LimitExceeded, $"{hidden.shape[1]} tokens at position {session.Position} exceed the session's max length {session.MaxLength}");
        var tokens = hidden.shape[0] * hidden.shape[1];
        var open = opened.Request;
        var charge = payments is null ? Charge.Free : await payments.ChargeAsync(step.Voucher, tokens, (int)(open.BlockEnd - open.BlockStart), cancellationToken);
        var output = new StepOutput { Step = step.Step, Hidden = await served.ComputeAsync("inference", tokens, () => TensorCodec.Encode(session.Step(hidden), open.OutputCompression), cancellationToken) };
        if (payments is not null)
            output.Receipt = await payments.IssueReceiptAsync(opened.Id, step.Step, open.ModelId, open.BlockStart, open.BlockEnd, WorkBytes.Input(step), WorkBytes.Output(output), tokens,
                charge, served.ServingMode, cancellationToken);
        return output;
    }

    /// <summary>A session as opened: its receipt id, the open request, and the KV cache.</summary>
    private sealed record OpenedSession(byte[] Id, OpenSession Request, InferenceSession Cache);

    private Task<InferenceRequest?> ReadAsync(Stream stream, CancellationToken cancellationToken) =>
        DelimitedMessages.ReadAsync(stream, InferenceRequest.Parser, served.Limits.MaxMessageBytes, cancellationToken);

    private Task ReplyErrorAsync(Stream stream, RequestRejectedException error, CancellationToken cancellationToken)
    {
        logger.LogInformation("inference request refused: {Code} {Message}", error.Code, error.Message);
        served.Metrics.Refused("inference", error.Code);
        return DelimitedMessages.WriteAsync(stream, new InferenceResponse { Error = error.ToWire() }, cancellationToken);
    }
}
