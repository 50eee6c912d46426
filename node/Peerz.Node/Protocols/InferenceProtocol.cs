using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Peerz.Chain.Crypto;
using Peerz.Model.Blocks;
using Peerz.Node.Payments;
using Peerz.Node.Serving;
using Peerz.Protocol.Framing;
using Peerz.Protocol.Payments;
using Peerz.Protocol.Tensors;
using Peerz.Protocol.Wire;
using static TorchSharp.torch;

namespace Peerz.Node.Protocols;

/// <summary>
/// /peerz/inference/1.0.0: one stream per session. The client opens a session over a sub-range of
/// the served blocks, then sends steps of hidden states in step order; the provider extends
/// its KV cache and returns the span's output. A step may start below the positions seen: the cache is
/// first rolled back to its position (speculative decoding), and the step is charged for the positions it computes. A refused step leaves the session as it was.
/// A session holds a slot and cache, so it is bounded: one peer holds at most
/// <see cref="ServingLimits.MaxSessionsPerPeer"/>, and a session closes <see cref="ServingLimits.SessionIdleTimeout"/>
/// after its last accepted step (refused steps do not keep it open). With payments on, opening is paid (one
/// token through the session's blocks) and binds the session to the paying client; each step is authorized
/// before it is computed, charged when it is answered, and its output carries a signed receipt.
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
        OpenedSession session;
        IDisposable slot;
        try
        {
            (session, slot) = await OpenAsync(open, remotePeer, cancellationToken);
        }
        catch (RequestRejectedException e)
        {
            await ReplyErrorAsync(stream, e, cancellationToken);
            return;
        }
        var sessionHex = Convert.ToHexString(session.Id).ToLowerInvariant();
        using (slot)
        using (session.Cache)
        {
            served.Metrics.SessionOpened();
            logger.LogInformation("session {Session} opened by {Peer}: blocks [{Start}, {End}), max length {MaxLength}", sessionHex, remotePeer, open.BlockStart, open.BlockEnd, open.MaxLength);
            await DelimitedMessages.WriteAsync(stream, new InferenceResponse { Opened = new SessionOpened { SessionId = sessionHex, CacheBytes = (ulong)session.Cache.CacheBytes } }, cancellationToken);
            await ServeStepsAsync(stream, session, cancellationToken);
            logger.LogInformation("session {Session} closed after {Positions} positions", sessionHex, session.Cache.Position);
        }
    }

    private async Task<(OpenedSession, IDisposable)> OpenAsync(OpenSession open, string remotePeer, CancellationToken cancellationToken)
    {
        var blocks = RequestValidation.Blocks(served, open.ModelId, open.BlockStart, open.BlockEnd);
        if (open.BatchSize < 1 || open.BatchSize > served.Limits.MaxBatchSize)
            throw new RequestRejectedException(ErrorCode.LimitExceeded, $"batch size {open.BatchSize} is outside [1, {served.Limits.MaxBatchSize}]");
        if (open.MaxLength < 1 || open.MaxLength > served.Blocks.Config.MaxPositionEmbeddings)
            throw new RequestRejectedException(ErrorCode.LimitExceeded, $"max length {open.MaxLength} is outside [1, {served.Blocks.Config.MaxPositionEmbeddings}]");
        var charge = payments is null ? Charge.Free : await payments.AuthorizeAsync(open.Voucher, 1, (int)(open.BlockEnd - open.BlockStart), cancellationToken);
        var slot = served.AcquireSessionSlot(remotePeer);
        InferenceSession? cache = null;
        try
        {
            cache = blocks.OpenSession((int)open.BatchSize, (int)open.MaxLength, served.CacheBudget);
            // The slot is charged only once it is held: a refused open costs nothing.
            if (payments is not null) await payments.CommitAsync(charge, cancellationToken);
            return (new OpenedSession(WorkIds.NewSession(WorkKind.Inference), open, cache, charge.Client), slot);
        }
        catch (CacheBudgetExceededException e)
        {
            slot.Dispose();
            throw new RequestRejectedException(ErrorCode.Busy, e.Message);
        }
        catch
        {
            cache?.Dispose();
            slot.Dispose();
            throw;
        }
    }

    private async Task ServeStepsAsync(Stream stream, OpenedSession session, CancellationToken cancellationToken)
    {
        ulong expectedStep = 0;
        // Idle time counts from the open or the last accepted step: a stream of refused steps does not keep a slot.
        var lastAccepted = Stopwatch.GetTimestamp();
        while (true)
        {
            var remaining = served.Limits.SessionIdleTimeout - Stopwatch.GetElapsedTime(lastAccepted);
            using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            idle.CancelAfter(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero);
            InferenceRequest? request;
            try
            {
                request = await ReadAsync(stream, idle.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                await ReplyErrorAsync(stream, new RequestRejectedException(ErrorCode.Timeout,
                    $"no accepted step for {served.Limits.SessionIdleTimeout.TotalSeconds:F0} s; the session's cache was released"), cancellationToken);
                return;
            }
            if (request is null || request.Close is not null) return;
            try
            {
                var output = await StepAsync(session, request.Step, expectedStep, cancellationToken);
                expectedStep++;
                lastAccepted = Stopwatch.GetTimestamp();
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
        if (step.Step != expectedStep)
            throw new RequestRejectedException(ErrorCode.BadRequest, $"step {step.Step} is out of order; expected step {expectedStep}");
        // A position below the tokens seen rolls the session back to it (speculative decoding drops rejected drafts).
        if (step.Position > session.Position)
            throw new RequestRejectedException(ErrorCode.BadRequest, $"step {step.Step} at position {step.Position} is past the {session.Position} positions seen; a step starts at or before them");
        using var hidden = RequestValidation.Hidden(served, step.Hidden, "hidden states", session.BatchSize);
        var position = (int)step.Position;
        if (position + hidden.shape[1] > session.MaxLength)
            throw new RequestRejectedException(ErrorCode.LimitExceeded, $"{hidden.shape[1]} tokens at position {position} exceed the session's max length {session.MaxLength}");
        var tokens = hidden.shape[0] * hidden.shape[1];
        var open = opened.Request;
        // Rolled back only once the step is accepted and paid for, so a refused step leaves the session as it was.
        Tensor Compute()
        {
            session.Rollback(position);
            return session.Step(hidden);
        }
        if (payments is null)
            return new StepOutput { Step = step.Step, Hidden = await served.ComputeAsync("inference", tokens, () => TensorCodec.Encode(Compute(), open.OutputCompression), cancellationToken) };

        var input = WorkBytes.Input(step);
        ProviderPayments.EnsureFetchable(input.LongLength, hidden.numel());
        var charge = await payments.AuthorizeAsync(step.Voucher, tokens, (int)(open.BlockEnd - open.BlockStart), cancellationToken);
        if (charge.Client != opened.Client)
            throw new RequestRejectedException(ErrorCode.PaymentRequired, $"this session was opened by {opened.Client}; its steps must be paid by that client, not {charge.Client}");
        var output = new StepOutput { Step = step.Step, Hidden = await served.ComputeAsync("inference", tokens, () => TensorCodec.Encode(Compute(), open.OutputCompression), cancellationToken) };
        output.Receipt = await payments.IssueReceiptAsync(opened.Id, step.Step, open.ModelId, open.BlockStart, open.BlockEnd, input, WorkBytes.Output(output), tokens,
            charge, served.ServingMode, cancellationToken);
        return output;
    }

    /// <summary>A session as opened: its receipt id, the open request, the KV cache, and the client that paid to open it (zero when free).</summary>
    private sealed record OpenedSession(byte[] Id, OpenSession Request, InferenceSession Cache, Address Client);

    private Task<InferenceRequest?> ReadAsync(Stream stream, CancellationToken cancellationToken) =>
        DelimitedMessages.ReadAsync(stream, InferenceRequest.Parser, served.Limits.MaxMessageBytes, cancellationToken);

    private Task ReplyErrorAsync(Stream stream, RequestRejectedException error, CancellationToken cancellationToken)
    {
        logger.LogInformation("inference request refused: {Code} {Message}", error.Code, error.Message);
        served.Metrics.Refused("inference", error.Code);
        return DelimitedMessages.WriteAsync(stream, new InferenceResponse { Error = error.ToWire() }, cancellationToken);
    }
}
