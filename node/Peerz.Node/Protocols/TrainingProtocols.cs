using Google.Protobuf;
using Microsoft.Extensions.Logging;
using Peerz.Node.Serving;
using Peerz.Protocol.Framing;
using Peerz.Protocol.Tensors;
using Peerz.Protocol.Wire;

namespace Peerz.Node.Protocols;

/// <summary>
/// /peerz/forward/1.0.0 and /peerz/backward/1.0.0: stateless requests for fine-tuning batches.
/// Backward returns gradients with respect to the span's inputs; the weights stay frozen.
/// </summary>
public sealed class TrainingProtocols(ServedSpan served, ILogger<TrainingProtocols> logger)
{
    public Task HandleForwardAsync(Stream stream, CancellationToken cancellationToken) =>
        ServeOneAsync(stream, ForwardRequest.Parser, "forward", async request =>
        {
            var blocks = RequestValidation.Blocks(served, request.ModelId, request.BlockStart, request.BlockEnd);
            using var hidden = RequestValidation.Hidden(served, request.Hidden, "hidden states");
            using var prompts = RequestValidation.Prompts(served, request.Prompts, blocks, hidden);
            var output = await served.ComputeAsync(() => TensorCodec.Encode(blocks.Forward(hidden, prompts), request.OutputCompression), cancellationToken);
            return new ForwardResponse { Hidden = output };
        }, error => new ForwardResponse { Error = error }, cancellationToken);

    public Task HandleBackwardAsync(Stream stream, CancellationToken cancellationToken) =>
        ServeOneAsync(stream, BackwardRequest.Parser, "backward", async request =>
        {
            var blocks = RequestValidation.Blocks(served, request.ModelId, request.BlockStart, request.BlockEnd);
            using var hidden = RequestValidation.Hidden(served, request.Hidden, "hidden states");
            using var gradient = RequestValidation.Hidden(served, request.OutputGradient, "output gradient");
            if (!gradient.shape.SequenceEqual(hidden.shape))
                throw new RequestRejectedException(ErrorCode.BadRequest, "output gradient and hidden states must have the same shape");
            using var prompts = RequestValidation.Prompts(served, request.Prompts, blocks, hidden);
            return await served.ComputeAsync(() =>
            {
                using var gradients = blocks.Backward(hidden, prompts, gradient);
                var response = new BackwardResponse { InputGradient = TensorCodec.Encode(gradients.Input, request.OutputCompression) };
                if (gradients.Prompts is { } promptGradient) response.PromptGradient = TensorCodec.Encode(promptGradient, request.OutputCompression);
                return response;
            }, cancellationToken);
        }, error => new BackwardResponse { Error = error }, cancellationToken);

    /// <summary>One request, one response; a refused request is answered with its error code.</summary>
    private async Task ServeOneAsync<TRequest, TResponse>(Stream stream, MessageParser<TRequest> parser, string name,
        Func<TRequest, Task<TResponse>> handle, Func<PeerzError, TResponse> refuse, CancellationToken cancellationToken)
        where TRequest : class, IMessage<TRequest>
        where TResponse : IMessage
    {
        var request = await DelimitedMessages.ReadAsync(stream, parser, served.Limits.MaxMessageBytes, cancellationToken);
        if (request is null) return;
        TResponse response;
        try
        {
            response = await handle(request);
        }
        catch (RequestRejectedException e)
        {
            logger.LogInformation("{Request} refused: {Code} {Message}", name, e.Code, e.Message);
            response = refuse(e.ToWire());
        }
        await DelimitedMessages.WriteAsync(stream, response, cancellationToken);
    }
}
