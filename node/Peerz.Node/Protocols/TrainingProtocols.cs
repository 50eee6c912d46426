using Google.Protobuf;
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
/// /peerz/forward/1.0.0 and /peerz/backward/1.0.0: stateless requests for fine-tuning batches.
/// Backward returns gradients with respect to the span's inputs (and the request's deep prompts and LoRA adapter);
/// the base weights stay frozen and shared: an adapter lives only for its request and is never seen by another.
/// With payments on, each request is authorized before compute, charged only when answered, and answered
/// with a signed receipt (step 0 of a fresh session id).
/// </summary>
public sealed class TrainingProtocols(ServedSpan served, ProviderPayments? payments, ILogger<TrainingProtocols> logger)
{
    public Task HandleForwardAsync(Stream stream, CancellationToken cancellationToken) =>
        ServeOneAsync(stream, ForwardRequest.Parser, "forward", async request =>
        {
            var blocks = RequestValidation.Blocks(served, request.ModelId, request.BlockStart, request.BlockEnd);
            using var hidden = RequestValidation.Hidden(served, request.Hidden, "hidden states");
            using var prompts = RequestValidation.Prompts(served, request.Prompts, blocks, hidden.shape[1]);
            using var adapter = RequestValidation.Adapter(served, request.Adapter, blocks);
            var work = new Work(request.ModelId, request.BlockStart, request.BlockEnd, hidden.shape[0] * hidden.shape[1]);
            var charge = await AuthorizeAsync(request.Voucher, work, () => WorkBytes.Input(request), hidden.numel(),
                ExpertChoicesCodec.MaxBytes(blocks.Config, blocks.End - blocks.Start, work.Tokens), cancellationToken);
            // A mixture-of-experts span signs the experts it routed every token to with the output (the verifier replays them).
            var (computed, experts) = await served.ComputeAsync("forward", work.Tokens, () =>
            {
                using var routing = blocks.Config.IsMixtureOfExperts ? ExpertRouting.Record() : null;
                var output = TensorCodec.Encode(served.Answer(blocks.Forward(hidden, prompts, adapter)), request.OutputCompression);
                return (output, ExpertChoicesCodec.Encode(routing is null ? null : RoutedExperts.From(routing.Chosen)));
            }, cancellationToken);
            var response = new ForwardResponse { Hidden = computed, Experts = experts };
            response.Receipt = await ReceiptAsync(WorkKind.Forward, work, charge, () => WorkBytes.Input(request), () => WorkBytes.Output(response), cancellationToken);
            return response;
        }, error => new ForwardResponse { Error = error }, cancellationToken);

    public Task HandleBackwardAsync(Stream stream, CancellationToken cancellationToken) =>
        ServeOneAsync(stream, BackwardRequest.Parser, "backward", async request =>
        {
            var blocks = RequestValidation.Blocks(served, request.ModelId, request.BlockStart, request.BlockEnd);
            using var hidden = RequestValidation.Hidden(served, request.Hidden, "hidden states");
            using var gradient = RequestValidation.Hidden(served, request.OutputGradient, "output gradient");
            if (!gradient.shape.SequenceEqual(hidden.shape))
                throw new RequestRejectedException(ErrorCode.BadRequest, "output gradient and hidden states must have the same shape");
            using var prompts = RequestValidation.Prompts(served, request.Prompts, blocks, hidden.shape[1]);
            using var adapter = RequestValidation.Adapter(served, request.Adapter, blocks);
            var work = new Work(request.ModelId, request.BlockStart, request.BlockEnd, hidden.shape[0] * hidden.shape[1]);
            var adapterElements = adapter?.Weights.Sum(w => w.A.numel() + w.B.numel()) ?? 0;
            var charge = await AuthorizeAsync(request.Voucher, work, () => WorkBytes.Input(request), hidden.numel() + (prompts?.numel() ?? 0) + adapterElements,
                ExpertChoicesCodec.MaxBytes(blocks.Config, blocks.End - blocks.Start, work.Tokens), cancellationToken);
            var response = await served.ComputeAsync("backward", work.Tokens, () =>
            {
                // The gradients follow the routing of the pass they go through, so a mixture-of-experts span signs it too.
                using var routing = blocks.Config.IsMixtureOfExperts ? ExpertRouting.Record() : null;
                using var gradients = blocks.Backward(hidden, prompts, gradient, adapter: adapter);
                var computed = new BackwardResponse
                {
                    InputGradient = TensorCodec.Encode(gradients.Input, request.OutputCompression),
                    Experts = ExpertChoicesCodec.Encode(routing is null ? null : RoutedExperts.From(routing.Chosen)),
                };
                if (gradients.Prompts is { } promptGradient) computed.PromptGradient = TensorCodec.Encode(promptGradient, request.OutputCompression);
                if (gradients.Adapter is { } adapterGradient) computed.AdapterGradient = LoraCodec.Encode(adapterGradient);
                return served.Answer(computed);
            }, cancellationToken);
            response.Receipt = await ReceiptAsync(WorkKind.Backward, work, charge, () => WorkBytes.Input(request), () => WorkBytes.Output(response), cancellationToken);
            return response;
        }, error => new BackwardResponse { Error = error }, cancellationToken);

    /// <summary>
    /// Checks the request is paid for and its payload fetchable (<paramref name="routingBytes"/>: the signed expert choices
    /// of a pass through a mixture-of-experts span); the charge is committed with the receipt, once the work is answered.
    /// </summary>
    private async Task<Charge> AuthorizeAsync(Voucher? voucher, Work work, Func<byte[]> input, long outputElements, long routingBytes, CancellationToken cancellationToken)
    {
        if (payments is null) return Charge.Free;
        ProviderPayments.EnsureFetchable(input().LongLength, outputElements, routingBytes);
        return await payments.AuthorizeAsync(voucher, work.Tokens, (int)(work.BlockEnd - work.BlockStart), cancellationToken);
    }

    private async Task<Receipt?> ReceiptAsync(WorkKind kind, Work work, Charge charge, Func<byte[]> input, Func<byte[]> output, CancellationToken cancellationToken) =>
        payments is null
            ? null
            : await payments.IssueReceiptAsync(WorkIds.NewSession(kind), 0, work.ModelId, work.BlockStart, work.BlockEnd, input(), output(), work.Tokens, charge, served.ServingMode,
                cancellationToken);

    private sealed record Work(string ModelId, uint BlockStart, uint BlockEnd, long Tokens);

    /// <summary>One request, one response; a refused request is answered with its error code.</summary>
    private async Task ServeOneAsync<TRequest, TResponse>(Stream stream, MessageParser<TRequest> parser, string name,
        Func<TRequest, Task<TResponse>> handle, Func<PeerzError, TResponse> refuse, CancellationToken cancellationToken)
        where TRequest : class, IMessage<TRequest>
        where TResponse : IMessage
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(served.Limits.SessionIdleTimeout);
        var request = await DelimitedMessages.ReadAsync(stream, parser, served.Limits.MaxMessageBytes, deadline.Token);
        if (request is null) return;
        TResponse response;
        try
        {
            response = await handle(request);
        }
        catch (RequestRejectedException e)
        {
            logger.LogInformation("{Request} refused: {Code} {Message}", name, e.Code, e.Message);
            served.Metrics.Refused(name, e.Code);
            response = refuse(e.ToWire());
        }
        await DelimitedMessages.WriteAsync(stream, response, cancellationToken);
    }
}
