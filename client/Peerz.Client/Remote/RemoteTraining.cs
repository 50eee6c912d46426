using Google.Protobuf;
using Peerz.Client.Payments;
using Peerz.Model;
using Peerz.Model.Adapters;
using Peerz.Model.Blocks;
using Peerz.Protocol.Payments;
using Peerz.Protocol.Tensors;
using Peerz.Protocol.Wire;
using static TorchSharp.torch;

namespace Peerz.Client.Remote;

/// <summary>
/// The client end of /peerz/forward/1.0.0 and /peerz/backward/1.0.0 (one request per stream). With a payee,
/// the request carries a voucher and the result is used only after its receipt checks out.
/// </summary>
public static class RemoteTraining
{
    /// <param name="prompts">Deep prompts for the span's blocks ([blocks, prefix, hidden]), or null.</param>
    /// <param name="adapter">LoRA weights for (some of) the span's blocks, or null.</param>
    public static async Task<Tensor> ForwardAsync(Stream stream, SpanRequest span, Tensor hidden, Tensor? prompts, LoraAdapter? adapter, RemoteCallOptions options, PaidProvider? payee,
        CancellationToken cancellationToken)
    {
        var request = new ForwardRequest
        {
            ModelId = span.ModelId,
            BlockStart = (uint)span.Start,
            BlockEnd = (uint)span.End,
            Hidden = TensorCodec.Encode(hidden, options.Compression),
            OutputCompression = options.Compression,
        };
        if (prompts is not null) request.Prompts = TensorCodec.Encode(prompts, options.Compression);
        if (adapter is not null) request.Adapter = LoraCodec.Encode(adapter);
        var response = await PaidCallAsync(stream, span, hidden, payee, options, WorkKind.Forward, request, v => request.Voucher = v, () => WorkBytes.Input(request),
            ForwardResponse.Parser, r => r.Error, r => r.Receipt, WorkBytes.Output, cancellationToken);
        return Checked(TensorCodec.Decode(response.Hidden, options.Limits), hidden);
    }

    public static async Task<SpanGradients> BackwardAsync(Stream stream, SpanRequest span, Tensor hidden, Tensor? prompts, LoraAdapter? adapter, Tensor outputGradient,
        RemoteCallOptions options, PaidProvider? payee, CancellationToken cancellationToken)
    {
        var request = new BackwardRequest
        {
            ModelId = span.ModelId,
            BlockStart = (uint)span.Start,
            BlockEnd = (uint)span.End,
            Hidden = TensorCodec.Encode(hidden, options.Compression),
            OutputGradient = TensorCodec.Encode(outputGradient, options.Compression),
            OutputCompression = options.Compression,
        };
        if (prompts is not null) request.Prompts = TensorCodec.Encode(prompts, options.Compression);
        if (adapter is not null) request.Adapter = LoraCodec.Encode(adapter);
        var response = await PaidCallAsync(stream, span, hidden, payee, options, WorkKind.Backward, request, v => request.Voucher = v, () => WorkBytes.Input(request),
            BackwardResponse.Parser, r => r.Error, r => r.Receipt, WorkBytes.Output, cancellationToken);
        var input = Checked(TensorCodec.Decode(response.InputGradient, options.Limits), hidden);
        Tensor? promptGradient = null;
        try
        {
            if (prompts is not null)
                promptGradient = Checked(TensorCodec.Decode(response.PromptGradient ?? throw new Protocol.Framing.ProtocolViolationException("the provider returned no gradient for the prompts"),
                    options.Limits), prompts);
            return new SpanGradients(input, promptGradient, adapter is null ? null : AdapterGradients(response.AdapterGradient, adapter));
        }
        catch
        {
            input.Dispose();
            promptGradient?.Dispose();
            throw;
        }
    }

    /// <summary>Sends one request (with a voucher when paying) and returns the response once its receipt is accepted.</summary>
    private static async Task<TResponse> PaidCallAsync<TResponse>(Stream stream, SpanRequest span, Tensor hidden, PaidProvider? payee, RemoteCallOptions options,
        WorkKind kind, IMessage request, Action<Voucher?> attach, Func<byte[]> input, MessageParser<TResponse> parser, Func<TResponse, PeerzError?> error,
        Func<TResponse, Receipt?> receipt, Func<TResponse, byte[]> output, CancellationToken cancellationToken)
        where TResponse : class, IMessage<TResponse>
    {
        var tokens = hidden.shape[0] * hidden.shape[1];
        await using var payment = payee is null ? null : await payee.BeginAsync(tokens, span.End - span.Start, cancellationToken);
        attach(payment?.Voucher);
        var response = await options.CallAsync(stream, request, parser, cancellationToken);
        if (error(response) is { } refused)
        {
            if (payment is not null) await payment.RefundAsync(cancellationToken);
            throw PeerzRequestException.From(refused);
        }
        if (payment is not null)
        {
            var sent = receipt(response)?.SessionId;
            var sessionId = sent is { Length: 32 } ? sent.ToByteArray() : new byte[32];
            await payment.AcceptAsync(receipt(response), new ExpectedWork(kind, sessionId, 0, span.ModelId, span.Start, span.End, input(), output(response), tokens), cancellationToken);
        }
        return response;
    }

    private static LoraAdapter AdapterGradients(Protocol.Wire.LoraTensors? message, LoraAdapter sent)
    {
        try
        {
            return LoraCodec.DecodeGradients(message ?? throw new Protocol.Framing.ProtocolViolationException("the provider returned no gradient for the adapter"), sent);
        }
        catch (TensorFormatException e)
        {
            throw new Protocol.Framing.ProtocolViolationException($"the provider's adapter gradients do not fit the adapter: {e.Message}");
        }
    }

    private static Tensor Checked(Tensor result, Tensor like)
    {
        if (result.shape.SequenceEqual(like.shape)) return result.MoveToDType(like.dtype);
        result.Dispose();
        throw new Protocol.Framing.ProtocolViolationException("the provider returned a tensor of the wrong shape");
    }
}
