using Peerz.Model.Adapters;
using Peerz.Model.Blocks;
using Peerz.Node.Serving;
using Peerz.Protocol.Tensors;
using Peerz.Protocol.Wire;
using static TorchSharp.torch;

namespace Peerz.Node.Protocols;

/// <summary>Checks shared by every Peerz protocol handler; each failure maps to an actionable error code.</summary>
internal static class RequestValidation
{
    public static BlockSpan Blocks(ServedSpan served, string modelId, uint start, uint end)
    {
        if (modelId != served.ModelId)
            throw new RequestRejectedException(ErrorCode.WrongSpan, $"this provider serves model '{served.ModelId}', not '{modelId}'");
        if (start < served.Blocks.Start || end > served.Blocks.End || start >= end)
            throw new RequestRejectedException(ErrorCode.WrongSpan, $"blocks [{start}, {end}) are not inside the served span [{served.Blocks.Start}, {served.Blocks.End})");
        return served.Blocks.Slice((int)start, (int)end);
    }

    public static Tensor Hidden(ServedSpan served, SerializedTensor? message, string what, int? batchSize = null)
    {
        if (message is null)
            throw new RequestRejectedException(ErrorCode.BadRequest, $"{what} is missing");
        Tensor hidden;
        try
        {
            hidden = TensorCodec.Decode(message, new TensorLimits((long)served.Limits.MaxBatchSize * served.Limits.MaxTokensPerStep * served.Blocks.Config.HiddenSize));
        }
        catch (TensorFormatException e)
        {
            throw new RequestRejectedException(ErrorCode.BadRequest, $"{what}: {e.Message}");
        }
        var shape = hidden.shape;
        string? problem = null;
        var code = ErrorCode.BadRequest;
        if (shape.Length != 3 || shape[2] != served.Blocks.Config.HiddenSize || shape[1] < 1 || shape[0] < 1)
            problem = $"{what} must be [batch, tokens, {served.Blocks.Config.HiddenSize}], got [{string.Join(", ", shape)}]";
        else if (shape[1] > served.Limits.MaxTokensPerStep || shape[0] > served.Limits.MaxBatchSize)
            (code, problem) = (ErrorCode.LimitExceeded, $"{what} has {shape[0]}x{shape[1]} tokens; the limits are batch {served.Limits.MaxBatchSize} and {served.Limits.MaxTokensPerStep} tokens per step");
        else if (batchSize is { } expected && shape[0] != expected)
            problem = $"{what} has batch {shape[0]} but the session was opened with {expected}";
        if (problem is not null)
        {
            hidden.Dispose();
            throw new RequestRejectedException(code, problem);
        }
        return hidden;
    }

    /// <summary>An optional LoRA adapter for <paramref name="blocks"/>, within the provider's adapter limit; null when absent.</summary>
    public static LoraAdapter? Adapter(ServedSpan served, Protocol.Wire.LoraTensors? message, BlockSpan blocks)
    {
        if (message is null) return null;
        try
        {
            return LoraCodec.Decode(message, served.Blocks.Config, blocks.Start, blocks.End, served.Limits.MaxAdapterElements);
        }
        catch (TensorFormatException e)
        {
            throw new RequestRejectedException(ErrorCode.BadRequest, $"adapter: {e.Message}");
        }
    }

    /// <summary>Optional deep prompts [blocks, prefix ≤ <paramref name="maxPrefix"/>, hidden] for <paramref name="blocks"/>; null when absent.</summary>
    public static Tensor? Prompts(ServedSpan served, SerializedTensor? message, BlockSpan blocks, long maxPrefix)
    {
        if (message is null) return null;
        Tensor prompts;
        try
        {
            prompts = TensorCodec.Decode(message, new TensorLimits((long)(blocks.End - blocks.Start) * served.Limits.MaxTokensPerStep * served.Blocks.Config.HiddenSize));
        }
        catch (TensorFormatException e)
        {
            throw new RequestRejectedException(ErrorCode.BadRequest, $"prompts: {e.Message}");
        }
        var shape = prompts.shape;
        if (shape.Length != 3 || shape[0] != blocks.End - blocks.Start || shape[1] < 1 || shape[1] > maxPrefix || shape[2] != served.Blocks.Config.HiddenSize)
        {
            prompts.Dispose();
            throw new RequestRejectedException(ErrorCode.BadRequest,
                $"prompts must be [{blocks.End - blocks.Start}, prefix ≤ {maxPrefix}, {served.Blocks.Config.HiddenSize}], got [{string.Join(", ", shape)}]");
        }
        return prompts;
    }
}
