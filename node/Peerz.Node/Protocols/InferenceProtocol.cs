using System.Diagnostics;
using System.Runtime.ExceptionServices;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Peerz.Chain.Crypto;
using Peerz.Model.Blocks;
using Peerz.Node.Payments;
using Peerz.Node.Push;
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
/// With <paramref name="push"/>, a session may be linked into a route (server-to-server push): its outputs are
/// forwarded to the next hop the client named, and a step may await its input from the previous hop's push (or the
/// client's relay) instead of carrying it. Only a step the client sent, with its voucher, is ever computed.
/// </summary>
public sealed class InferenceProtocol(ServedSpan served, ProviderPayments? payments, ILogger<InferenceProtocol> logger, PushSessions? push = null)
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
            if (open.PushNext is not null || open.PushPrevious.Length > 0)
            {
                if (push is not { Options.Enabled: true })
                    throw new RequestRejectedException(ErrorCode.BadRequest, "this provider does not take part in server-to-server push; open the session without push links");
                if (open.PushNext is not null) PushSessions.Validate(open.PushNext);
            }
            (session, slot) = await OpenAsync(open, remotePeer, cancellationToken);
        }
        catch (RequestRejectedException e)
        {
            await ReplyErrorAsync(stream, e, cancellationToken);
            return;
        }
        var sessionHex = Convert.ToHexString(session.Id).ToLowerInvariant();
        var links = push is { Options.Enabled: true }
            ? new SessionLinks(push.Register(sessionHex, open.PushPrevious.Length > 0 ? open.PushPrevious : null), open.PushNext is null ? null : push.Link(open.PushNext))
            : null;
        using (slot)
        using (session.Cache)
        {
            try
            {
                served.Metrics.SessionOpened();
                ServingLog.SessionOpened(logger, sessionHex, remotePeer, open.BlockStart, open.BlockEnd, open.MaxLength);
                await DelimitedMessages.WriteAsync(stream, new InferenceResponse { Opened = new SessionOpened { SessionId = sessionHex, CacheBytes = (ulong)session.Cache.CacheBytes } }, cancellationToken);
                await ServeStepsAsync(stream, session with { Links = links }, cancellationToken);
                ServingLog.SessionClosed(logger, sessionHex, session.Cache.Position);
            }
            finally
            {
                push?.Unregister(sessionHex);
                if (links?.Next is { } next) await next.DisposeAsync();
            }
        }
    }

    private async Task<(OpenedSession, IDisposable)> OpenAsync(OpenSession open, string remotePeer, CancellationToken cancellationToken)
    {
        var blocks = RequestValidation.Blocks(served, open.ModelId, open.BlockStart, open.BlockEnd);
        if (open.BatchSize < 1 || open.BatchSize > served.Limits.MaxBatchSize)
            throw new RequestRejectedException(ErrorCode.LimitExceeded, $"batch size {open.BatchSize} is outside [1, {served.Limits.MaxBatchSize}]");
        if (open.MaxLength < 1 || open.MaxLength > served.Blocks.Config.MaxPositionEmbeddings)
            throw new RequestRejectedException(ErrorCode.LimitExceeded, $"max length {open.MaxLength} is outside [1, {served.Blocks.Config.MaxPositionEmbeddings}]");
        // Decoded before anything is charged or held: a refused adapter or prompts open no session.
        var adapter = RequestValidation.Adapter(served, open.Adapter, blocks);
        Tensor? prompts = null;
        IDisposable? slot = null;
        InferenceSession? cache = null;
        try
        {
            prompts = RequestValidation.Prompts(served, open.Prompts, blocks, open.MaxLength);
            var charge = payments is null ? Charge.Free : await payments.AuthorizeAsync(open.Voucher, 1, (int)(open.BlockEnd - open.BlockStart), cancellationToken);
            slot = served.AcquireSessionSlot(remotePeer);
            // From here the session owns the adapter and prompts (and the cache budget holds their bytes); nothing else ever sees them.
            cache = blocks.OpenSession((int)open.BatchSize, (int)open.MaxLength, served.CacheBudget, adapter, prompts);
            (adapter, prompts) = (null, null);
            // Without payments no receipt signs step 0, so the wire copies are not needed past this point.
            if (payments is null) (open.Adapter, open.Prompts) = (null, null);
            // The slot is charged only once it is held: a refused open costs nothing.
            if (payments is not null) await payments.CommitAsync(charge, cancellationToken);
            return (new OpenedSession(WorkIds.NewSession(WorkKind.Inference), open, cache, charge.Client), slot);
        }
        catch (CacheBudgetExceededException e)
        {
            adapter?.Dispose();
            prompts?.Dispose();
            slot?.Dispose();
            throw new RequestRejectedException(ErrorCode.Busy, e.Message);
        }
        catch
        {
            adapter?.Dispose();
            prompts?.Dispose();
            cache?.Dispose();
            slot?.Dispose();
            throw;
        }
    }

    private async Task ServeStepsAsync(Stream stream, OpenedSession session, CancellationToken cancellationToken)
    {
        // Requests are read ahead by one message, so a step awaiting its pushed input still sees the client's relay or close.
        using var end = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var requests = Channel.CreateBounded<Incoming>(1);
        var reader = ReadAheadAsync(stream, requests.Writer, end.Token);
        try
        {
            ulong expectedStep = 0;
            // Idle time counts from the open or the last accepted step: a stream of refused steps does not keep a slot.
            var lastAccepted = Stopwatch.GetTimestamp();
            while (true)
            {
                var remaining = served.Limits.SessionIdleTimeout - Stopwatch.GetElapsedTime(lastAccepted);
                using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                idle.CancelAfter(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero);
                try
                {
                    var request = Unwrap(await requests.Reader.ReadAsync(idle.Token));
                    if (request is null || request.Close is not null) return;
                    // A relay whose step was already computed from the push is dropped: it is never answered.
                    if (request.Step?.PushInput is { Relay: true }) continue;
                    var output = await StepAsync(session, request.Step, expectedStep, requests.Reader, idle.Token, cancellationToken);
                    if (output is null) return;
                    expectedStep++;
                    lastAccepted = Stopwatch.GetTimestamp();
                    await DelimitedMessages.WriteAsync(stream, new InferenceResponse { Output = output }, cancellationToken);
                    await Relink(session, request.Step!);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    await ReplyErrorAsync(stream, new RequestRejectedException(ErrorCode.Timeout,
                        $"no accepted step for {served.Limits.SessionIdleTimeout.TotalSeconds:F0} s; the session's cache was released"), cancellationToken);
                    return;
                }
                catch (RequestRejectedException e)
                {
                    await ReplyErrorAsync(stream, e, cancellationToken);
                }
            }
        }
        finally
        {
            await end.CancelAsync();
            await reader;
        }
    }

    /// <summary>Reads the client's messages into <paramref name="requests"/> until the stream ends, a close, or an error (passed on).</summary>
    private async Task ReadAheadAsync(Stream stream, ChannelWriter<Incoming> requests, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                var request = await ReadAsync(stream, cancellationToken);
                await requests.WriteAsync(new Incoming(request, null), cancellationToken);
                if (request is null || request.Close is not null) return;
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The session ended.
        }
        catch (Exception e)
        {
            try
            {
                await requests.WriteAsync(new Incoming(null, ExceptionDispatchInfo.Capture(e)), cancellationToken);
            }
            catch (OperationCanceledException)
            {
                // The session ended before it read the error.
            }
        }
        finally
        {
            requests.TryComplete();
        }
    }

    private static InferenceRequest? Unwrap(Incoming incoming)
    {
        incoming.Error?.Throw();
        return incoming.Request;
    }

    /// <summary>The push links a step names take effect once it is answered: its own output went to the old next hop.</summary>
    private async Task Relink(OpenedSession session, InferenceStep step)
    {
        if (session.Links is not { } links) return;
        if (step.PushPrevious.Length > 0) links.Inbox.AcceptFrom(step.PushPrevious);
        if (step.PushNext is not null && push is not null)
        {
            var old = links.Next;
            links.Next = push.Link(step.PushNext);
            if (old is not null) await old.DisposeAsync();
        }
    }

    private async Task<StepOutput?> StepAsync(OpenedSession opened, InferenceStep? step, ulong expectedStep, ChannelReader<Incoming> requests, CancellationToken idle,
        CancellationToken cancellationToken)
    {
        var session = opened.Cache;
        if (step is null)
            throw new RequestRejectedException(ErrorCode.BadRequest, "expected a step or close");
        if (step.Step != expectedStep)
            throw new RequestRejectedException(ErrorCode.BadRequest, $"step {step.Step} is out of order; expected step {expectedStep}");
        // A position below the tokens seen rolls the session back to it (speculative decoding drops rejected drafts).
        if (step.Position > session.Position)
            throw new RequestRejectedException(ErrorCode.BadRequest, $"step {step.Step} at position {step.Position} is past the {session.Position} positions seen; a step starts at or before them");
        if ((step.PushInput is not null || step.PushNext is not null || step.PushPrevious.Length > 0) && opened.Links is null)
            throw new RequestRejectedException(ErrorCode.BadRequest, "this session does not take part in push");
        if (step.PushNext is not null) PushSessions.Validate(step.PushNext);
        if (step.SessionAdapter is not null || step.SessionPrompts is not null)
            throw new RequestRejectedException(ErrorCode.BadRequest, "a step carries no adapter or prompts: a session's are sent once, in its open");
        var open = opened.Request;
        Charge? charge = null;
        if (step.PushInput is { } awaited)
        {
            if (step.Hidden is not null)
                throw new RequestRejectedException(ErrorCode.BadRequest, "a step that awaits its pushed input carries no hidden states");
            if (awaited.Positions < 1 || awaited.Positions > served.Limits.MaxTokensPerStep || step.Position + awaited.Positions > session.MaxLength)
                throw new RequestRejectedException(ErrorCode.LimitExceeded, $"{awaited.Positions} positions at position {step.Position} are outside this session's limits");
            // Paid before any wait: a pushed input is only ever computed for a step the client paid for.
            if (payments is not null) charge = await AuthorizeAsync(opened, step, (long)session.BatchSize * awaited.Positions, cancellationToken);
            var input = await AwaitInputAsync(opened, step, requests, idle);
            if (input is null) return null;
            step = step.Clone();
            step.Hidden = input;
        }
        using var hidden = RequestValidation.Hidden(served, step.Hidden, "hidden states", session.BatchSize);
        var position = (int)step.Position;
        if (position + hidden.shape[1] > session.MaxLength)
            throw new RequestRejectedException(ErrorCode.LimitExceeded, $"{hidden.shape[1]} tokens at position {position} exceed the session's max length {session.MaxLength}");
        var tokens = hidden.shape[0] * hidden.shape[1];
        byte[]? inputBytes = null;
        if (payments is not null)
        {
            inputBytes = WorkBytes.Input(step, open.Adapter, open.Prompts);
            ProviderPayments.EnsureFetchable(inputBytes.LongLength, hidden.numel(), ExpertChoicesCodec.MaxBytes(served.Blocks.Config, open.BlockEnd - open.BlockStart, tokens));
            charge ??= await AuthorizeAsync(opened, step, tokens, cancellationToken);
        }
        // Rolled back (on the compute lane) only once the step is accepted and paid for, so a refused step leaves the session as it was.
        // A mixture-of-experts span signs the experts it routed this step's tokens to with the output (the verifier replays them).
        var (computed, experts) = await served.StepAsync("inference", session, hidden, position,
            o => (TensorCodec.Encode(served.Answer(o), open.OutputCompression), ExpertChoicesCodec.Encode(session.LastRouting)), cancellationToken);
        var output = new StepOutput { Step = step.Step, Hidden = computed, Experts = experts };
        var next = opened.Links?.Next;
        output.Pushed = next is not null && await next.ReadyAsync();
        if (payments is not null)
            output.Receipt = await payments.IssueReceiptAsync(opened.Id, step.Step, open.ModelId, open.BlockStart, open.BlockEnd, inputBytes!, WorkBytes.Output(output), tokens,
                charge!, served.ServingMode, cancellationToken);
        // Step 0's receipt signed the adapter and prompts (step numbers never repeat); the session computes with its decoded copies.
        if (step.Step == 0) (open.Adapter, open.Prompts) = (null, null);
        // Forwarded only once the step is charged: an output that is never answered is never pushed either.
        opened.Links?.Inbox.Completed(step.Position);
        if (output.Pushed) await next!.SendAsync(step.Step, step.Position, output.Hidden, cancellationToken);
        if (logger.IsEnabled(LogLevel.Debug)) ServingLog.StepServed(logger, step.Step, Convert.ToHexString(opened.Id).ToLowerInvariant(), step.Position, output.Pushed);
        return output;
    }

    private async Task<Charge> AuthorizeAsync(OpenedSession opened, InferenceStep step, long tokens, CancellationToken cancellationToken)
    {
        var open = opened.Request;
        var charge = await payments!.AuthorizeAsync(step.Voucher, tokens, (int)(open.BlockEnd - open.BlockStart), cancellationToken);
        if (charge.Client != opened.Client)
            throw new RequestRejectedException(ErrorCode.PaymentRequired, $"this session was opened by {opened.Client}; its steps must be paid by that client, not {charge.Client}");
        return charge;
    }

    /// <summary>
    /// The input of an awaited step: the previous hop's push, or the client's relay, whichever comes first and fits the
    /// step (a pushed tensor of the wrong shape is dropped and the relay awaited). Null when the client closed meanwhile.
    /// Bounded by the session's idle time.
    /// </summary>
    private async Task<SerializedTensor?> AwaitInputAsync(OpenedSession opened, InferenceStep step, ChannelReader<Incoming> requests, CancellationToken idle)
    {
        var inbox = opened.Links!.Inbox;
        var takePush = true;
        while (true)
        {
            using var race = CancellationTokenSource.CreateLinkedTokenSource(idle);
            var pushed = takePush ? inbox.TakeAsync(step.Position, race.Token) : null;
            var message = requests.WaitToReadAsync(race.Token).AsTask();
            await (pushed is null ? (Task)message : Task.WhenAny(pushed, message));
            await race.CancelAsync();
            if (pushed is { IsCompletedSuccessfully: true })
            {
                if (Fits(pushed.Result, step, opened.Cache.BatchSize)) return pushed.Result.Hidden;
                ServingLog.PushedInputMismatch(logger, step.Step);
                takePush = false;
                continue;
            }
            idle.ThrowIfCancellationRequested();
            if (!await message) return null;
            if (!requests.TryRead(out var incoming)) continue;
            var request = Unwrap(incoming);
            if (request is null || request.Close is not null) return null;
            if (request.Step is { PushInput.Relay: true } relay)
            {
                if (relay.Step < step.Step) continue;
                if (relay.Step == step.Step && relay.Hidden is not null) return relay.Hidden;
            }
            throw new RequestRejectedException(ErrorCode.BadRequest, $"step {step.Step} awaits its input; expected its relay, not another request");
        }
    }

    private static bool Fits(PushStep push, InferenceStep step, int batchSize) =>
        push.Hidden.Shape.Count == 3 && push.Hidden.Shape[0] == batchSize && push.Hidden.Shape[1] == step.PushInput.Positions;

    /// <summary>A session as opened: its receipt id, the open request, the KV cache, and the client that paid to open it (zero when free).</summary>
    private sealed record OpenedSession(byte[] Id, OpenSession Request, InferenceSession Cache, Address Client)
    {
        public SessionLinks? Links { get; init; }
    }

    /// <summary>A session's place in a push route: its inbox, and the link to its next hop (replaced when the route is repaired).</summary>
    private sealed class SessionLinks(PushInbox inbox, PushLink? next)
    {
        public PushInbox Inbox { get; } = inbox;
        public PushLink? Next { get; set; } = next;
    }

    /// <summary>One message read ahead from the client, or the error that ended the stream.</summary>
    private sealed record Incoming(InferenceRequest? Request, ExceptionDispatchInfo? Error);

    private Task<InferenceRequest?> ReadAsync(Stream stream, CancellationToken cancellationToken) =>
        DelimitedMessages.ReadAsync(stream, InferenceRequest.Parser, served.Limits.MaxMessageBytes, cancellationToken);

    private Task ReplyErrorAsync(Stream stream, RequestRejectedException error, CancellationToken cancellationToken)
    {
        ServingLog.Refused(logger, error.Code, error.Message);
        served.Metrics.Refused("inference", error.Code);
        return DelimitedMessages.WriteAsync(stream, new InferenceResponse { Error = error.ToWire() }, cancellationToken);
    }
}
