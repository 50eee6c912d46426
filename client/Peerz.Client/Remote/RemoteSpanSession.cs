using Peerz.Client.Payments;
using Peerz.Model;
using Peerz.Protocol.Framing;
using Peerz.Protocol.Payments;
using Peerz.Protocol.Tensors;
using Peerz.Protocol.Wire;
using static TorchSharp.torch;

namespace Peerz.Client.Remote;

/// <summary>
/// The client end of /peerz/inference/1.0.0 over one stream: open, steps in order (each may first roll back), close.
/// Owns the stream; disposing it closes the session on the provider. With payments, the open pays for the
/// session slot (one token through the span, no receipt), every step carries a voucher, and a step's output is
/// used only after the provider's receipt checks out. On a push route (<see cref="PushLinks"/>) a step may be sent
/// before its input exists (<see cref="SendAsync"/> without hidden states): the provider awaits the previous hop's push,
/// or the client's relay (<see cref="PendingStep.RelayAsync"/>). A LoRA adapter and deep prompts for the span's blocks are
/// sent once, in the open; the provider applies them at every step, and its receipt for step 0 signs them (<see cref="WorkBytes"/>).
/// </summary>
public sealed class RemoteSpanSession : IAsyncDisposable
{
    private readonly Stream _stream;
    private readonly RemoteCallOptions _options;
    private readonly SpanRequest _span;
    private readonly PaidProvider? _payee;
    private readonly LoraTensors? _adapter;
    private readonly SerializedTensor? _prompts;
    private ulong _nextStep;

    private RemoteSpanSession(Stream stream, RemoteCallOptions options, SpanRequest span, PaidProvider? payee, LoraTensors? adapter, SerializedTensor? prompts, string sessionId)
    {
        _stream = stream;
        _adapter = adapter;
        _prompts = prompts;
        _options = options;
        _span = span;
        _payee = payee;
        SessionId = sessionId;
    }

    public string SessionId { get; }

    public int Position { get; private set; }

    public static Task<RemoteSpanSession> OpenAsync(Stream stream, SpanRequest span, int batchSize, int maxLength, RemoteCallOptions options, PaidProvider? payee,
        CancellationToken cancellationToken) => OpenAsync(stream, span, batchSize, maxLength, options, payee, null, null, null, cancellationToken);

    /// <param name="adapter">LoRA weights for blocks of <paramref name="span"/> only (<see cref="LoraCodec.Encode"/>), or null.</param>
    /// <param name="prompts">Deep prompts for blocks of <paramref name="span"/> only, [blocks, prefix, hidden], or null.</param>
    public static async Task<RemoteSpanSession> OpenAsync(Stream stream, SpanRequest span, int batchSize, int maxLength, RemoteCallOptions options, PaidProvider? payee,
        PushLinks? push, LoraTensors? adapter, SerializedTensor? prompts, CancellationToken cancellationToken)
    {
        var open = new OpenSession
        {
            ModelId = span.ModelId,
            BlockStart = (uint)span.Start,
            BlockEnd = (uint)span.End,
            BatchSize = (uint)batchSize,
            MaxLength = (uint)maxLength,
            OutputCompression = options.Compression,
            PushNext = push?.Next,
            PushPrevious = push?.Previous ?? "",
            Adapter = adapter,
            Prompts = prompts,
        };
        await using var payment = payee is null ? null : await payee.BeginAsync(1, span.End - span.Start, cancellationToken);
        open.Voucher = payment?.Voucher;
        var response = await options.CallAsync(stream, new InferenceRequest { Open = open }, InferenceResponse.Parser, cancellationToken);
        if (response.Error is { } error)
        {
            if (payment is not null) await payment.RefundAsync(cancellationToken);
            throw PeerzRequestException.From(error);
        }
        if (response.Opened is not { } opened) throw new ProtocolViolationException("expected the session to be opened");
        if (payee is not null && !IsInferenceSessionId(opened.SessionId))
            throw new ProtocolViolationException("the provider's session id is not a 32-byte inference session id");
        return new RemoteSpanSession(stream, options, span, payee, adapter, prompts, opened.SessionId);
    }

    /// <summary>
    /// Drops positions [position, Position): the next step is sent at <paramref name="position"/>, and the provider
    /// cuts its cache back there before computing it. Nothing is sent until that step.
    /// </summary>
    public void Rollback(int position)
    {
        if (position < 0 || position > Position)
            throw new ArgumentOutOfRangeException(nameof(position), $"cannot roll back to position {position}: the session holds positions [0, {Position})");
        Position = position;
    }

    public async Task<Tensor> StepAsync(Tensor hidden, CancellationToken cancellationToken)
    {
        var input = TensorCodec.Encode(hidden, _options.Compression);
        await using var pending = await SendAsync(input, (int)hidden.shape[0], (int)hidden.shape[1], null, null, cancellationToken);
        return (await pending.ReceiveAsync(input, hidden.dtype, cancellationToken)).Hidden;
    }

    /// <summary>
    /// Sends the next step with its voucher: with <paramref name="hidden"/>, or without it (the provider awaits the
    /// previous hop's push of <paramref name="positions"/> positions). <paramref name="next"/> and
    /// <paramref name="previous"/> re-link the session in a repaired route, from the following step on.
    /// </summary>
    public async Task<PendingStep> SendAsync(SerializedTensor? hidden, int batchSize, int positions, PushHop? next, string? previous, CancellationToken cancellationToken)
    {
        var step = new InferenceStep { Step = _nextStep, Position = (uint)Position, Hidden = hidden, PushNext = next, PushPrevious = previous ?? "" };
        if (hidden is null) step.PushInput = new PushInput { Positions = (uint)positions };
        var tokens = (long)batchSize * positions;
        var payment = _payee is null ? null : await _payee.BeginAsync(tokens, _span.End - _span.Start, cancellationToken);
        try
        {
            step.Voucher = payment?.Voucher;
            await _options.SendAsync(_stream, new InferenceRequest { Step = step }, cancellationToken);
            return new PendingStep(this, step, tokens, payment);
        }
        catch
        {
            if (payment is not null) await payment.DisposeAsync();
            throw;
        }
    }

    internal Task RelayAsync(InferenceStep step, SerializedTensor hidden, CancellationToken cancellationToken) =>
        _options.SendAsync(_stream, new InferenceRequest { Step = new InferenceStep { Step = step.Step, Position = step.Position, Hidden = hidden, PushInput = new PushInput { Relay = true } } },
            cancellationToken);

    /// <summary>The answer to <paramref name="pending"/>, whose provider computed on <paramref name="input"/> (sent, pushed or relayed: the same bytes).</summary>
    internal async Task<(StepOutput Output, Tensor Hidden)> ReceiveAsync(PendingStep pending, SerializedTensor input, ScalarType dtype, CancellationToken cancellationToken)
    {
        var step = pending.Step;
        var response = await _options.ReceiveAsync(_stream, InferenceResponse.Parser, cancellationToken);
        if (response.Error is { } error)
        {
            if (pending.Payment is not null) await pending.Payment.RefundAsync(cancellationToken);
            throw PeerzRequestException.From(error);
        }
        if (response.Output is not { } output || output.Step != step.Step)
            throw new ProtocolViolationException($"expected the output of step {step.Step}");
        var computed = step.Clone();
        computed.Hidden = input;
        if (pending.Payment is not null)
            await pending.Payment.AcceptAsync(output.Receipt, new ExpectedWork(WorkKind.Inference, Convert.FromHexString(SessionId), step.Step, _span.ModelId, _span.Start, _span.End,
                WorkBytes.Input(computed, _adapter, _prompts), WorkBytes.Output(output), pending.Tokens), cancellationToken);
        var result = TensorCodec.Decode(output.Hidden, _options.Limits);
        if (!result.shape.SequenceEqual(input.Shape))
        {
            result.Dispose();
            throw new ProtocolViolationException("the provider returned hidden states of the wrong shape");
        }
        _nextStep++;
        Position += (int)input.Shape[1];
        return (output, result.MoveToDType(dtype));
    }

    private static bool IsInferenceSessionId(string id) =>
        id.Length == 64 && id.All(Uri.IsHexDigit) && Convert.FromHexString(id)[0] == (byte)WorkKind.Inference;

    public async ValueTask DisposeAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await DelimitedMessages.WriteAsync(_stream, new InferenceRequest { Close = new CloseSession() }, timeout.Token);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The provider may already be gone; closing is best effort.
        }
        await _stream.DisposeAsync();
    }
}
