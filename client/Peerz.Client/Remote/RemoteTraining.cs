using Peerz.Model;
using Peerz.Model.Blocks;
using Peerz.Protocol.Tensors;
using Peerz.Protocol.Wire;
using static TorchSharp.torch;

namespace Peerz.Client.Remote;

/// <summary>The client end of /peerz/forward/1.0.0 and /peerz/backward/1.0.0 (one request per stream).</summary>
public static class RemoteTraining
{
    /// <param name="prompts">Deep prompts for the span's blocks ([blocks, prefix, hidden]), or null.</param>
    public static async Task<Tensor> ForwardAsync(Stream stream, SpanRequest span, Tensor hidden, Tensor? prompts, RemoteCallOptions options, CancellationToken cancellationToken)
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
        var response = await options.CallAsync(stream, request, ForwardResponse.Parser, cancellationToken);
        if (response.Error is { } error) throw PeerzRequestException.From(error);
        return Checked(TensorCodec.Decode(response.Hidden, options.Limits), hidden);
    }

    public static async Task<SpanGradients> BackwardAsync(Stream stream, SpanRequest span, Tensor hidden, Tensor? prompts, Tensor outputGradient, RemoteCallOptions options, CancellationToken cancellationToken)
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
        var response = await options.CallAsync(stream, request, BackwardResponse.Parser, cancellationToken);
        if (response.Error is { } error) throw PeerzRequestException.From(error);
        var input = Checked(TensorCodec.Decode(response.InputGradient, options.Limits), hidden);
        if (prompts is null) return new SpanGradients(input, null);
        if (response.PromptGradient is null)
        {
            input.Dispose();
            throw new Protocol.Framing.ProtocolViolationException("the provider returned no gradient for the prompts");
        }
        try
        {
            return new SpanGradients(input, Checked(TensorCodec.Decode(response.PromptGradient, options.Limits), prompts));
        }
        catch
        {
            input.Dispose();
            throw;
        }
    }

    private static Tensor Checked(Tensor result, Tensor like)
    {
        if (result.shape.SequenceEqual(like.shape)) return result.MoveToDType(like.dtype);
        result.Dispose();
        throw new Protocol.Framing.ProtocolViolationException("the provider returned a tensor of the wrong shape");
    }
}
