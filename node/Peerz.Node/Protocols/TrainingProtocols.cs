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
    public async Task HandleForwardAsync(Stream stream, CancellationToken cancellationToken)
    {
        var request = await DelimitedMessages.ReadAsync(stream, ForwardRequest.Parser, served.Limits.MaxMessageBytes, cancellationToken);
        if (request is null) return;
        ForwardResponse response;
        try
        {
            var blocks = RequestValidation.Blocks(served, request.ModelId, request.BlockStart, request.BlockEnd);
            using var hidden = RequestValidation.Hidden(served, request.Hidden, "hidden states");
            var output = await served.ComputeAsync(() => TensorCodec.Encode(blocks.Forward(hidden), request.OutputCompression), cancellationToken);
            response = new ForwardResponse { Hidden = output };
        }
        catch (RequestRejectedException e)
        {
            logger.LogInformation("forward refused: {Code} {Message}", e.Code, e.Message);
            response = new ForwardResponse { Error = e.ToWire() };
        }
        await DelimitedMessages.WriteAsync(stream, response, cancellationToken);
    }

    public async Task HandleBackwardAsync(Stream stream, CancellationToken cancellationToken)
    {
        var request = await DelimitedMessages.ReadAsync(stream, BackwardRequest.Parser, served.Limits.MaxMessageBytes, cancellationToken);
        if (request is null) return;
        BackwardResponse response;
        try
        {
            var blocks = RequestValidation.Blocks(served, request.ModelId, request.BlockStart, request.BlockEnd);
            using var hidden = RequestValidation.Hidden(served, request.Hidden, "hidden states");
            using var gradient = RequestValidation.Hidden(served, request.OutputGradient, "output gradient");
            if (!gradient.shape.SequenceEqual(hidden.shape))
                throw new RequestRejectedException(ErrorCode.BadRequest, "output gradient and hidden states must have the same shape");
            var inputGradient = await served.ComputeAsync(() => TensorCodec.Encode(blocks.Backward(hidden, gradient), request.OutputCompression), cancellationToken);
            response = new BackwardResponse { InputGradient = inputGradient };
        }
        catch (RequestRejectedException e)
        {
            logger.LogInformation("backward refused: {Code} {Message}", e.Code, e.Message);
            response = new BackwardResponse { Error = e.ToWire() };
        }
        await DelimitedMessages.WriteAsync(stream, response, cancellationToken);
    }
}
