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
/// used only after the provider's receipt checks out.
/// </summary>
public sealed class RemoteSpanSession : IAsyncDisposable
{
    private readonly Stream _stream;
    private readonly RemoteCallOptions _options;
    private readonly SpanRequest _span;
    private readonly PaidProvider? _payee;
    private ulong _nextStep;

    private RemoteSpanSession(Stream stream, RemoteCallOptions options, SpanRequest span, PaidProvider? payee, string sessionId)
    {
        _stream = stream;
        _options = options;
        _span = span;
        _payee = payee;
        SessionId = sessionId;
    }

    public string SessionId { get; }

    public int Position { get; private set; }

    public static async Task<RemoteSpanSession> OpenAsync(Stream stream, SpanRequest span, int batchSize, int maxLength, RemoteCallOptions options, PaidProvider? payee,
        CancellationToken cancellationToken)
    {
        var open = new OpenSession
        {
            ModelId = span.ModelId,
            BlockStart = (uint)span.Start,
            BlockEnd = (uint)span.End,
            BatchSize = (uint)batchSize,
            MaxLength = (uint)maxLength,
            OutputCompression = options.Compression,
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
        return new RemoteSpanSession(stream, options, span, payee, opened.SessionId);
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
        var step = new InferenceStep { Step = _nextStep, Position = (uint)Position, Hidden = TensorCodec.Encode(hidden, _options.Compression) };
        var tokens = hidden.shape[0] * hidden.shape[1];
        await using var payment = _payee is null ? null : await _payee.BeginAsync(tokens, _span.End - _span.Start, cancellationToken);
        step.Voucher = payment?.Voucher;
        var response = await _options.CallAsync(_stream, new InferenceRequest { Step = step }, InferenceResponse.Parser, cancellationToken);
        if (response.Error is { } error)
        {
            if (payment is not null) await payment.RefundAsync(cancellationToken);
            throw PeerzRequestException.From(error);
        }
        if (response.Output is not { } output || output.Step != _nextStep)
            throw new ProtocolViolationException($"expected the output of step {_nextStep}");
        if (payment is not null)
            await payment.AcceptAsync(output.Receipt, new ExpectedWork(WorkKind.Inference, Convert.FromHexString(SessionId), _nextStep, _span.ModelId, _span.Start, _span.End,
                WorkBytes.Input(step), WorkBytes.Output(output), tokens), cancellationToken);
        var result = TensorCodec.Decode(output.Hidden, _options.Limits);
        if (!result.shape.SequenceEqual(hidden.shape))
        {
            result.Dispose();
            throw new ProtocolViolationException("the provider returned hidden states of the wrong shape");
        }
        _nextStep++;
        Position += (int)hidden.shape[1];
        return result.MoveToDType(hidden.dtype);
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
