using Peerz.Model;
using Peerz.Model.Adapters;
using Peerz.Model.Configuration;
using static TorchSharp.torch;
using WireAdapter = Peerz.Protocol.Wire.LoraTensors;
using WireWeights = Peerz.Protocol.Wire.LoraProjection;

namespace Peerz.Protocol.Tensors;

/// <summary>
/// LoRA adapters (and their gradients) to and from the wire. Weights always travel uncompressed: they are few
/// (r·(in + out) per projection) and training is sensitive to their rounding.
/// </summary>
public static class LoraCodec
{
    public static WireAdapter Encode(LoraAdapter adapter)
    {
        var message = new WireAdapter { Scaling = adapter.Scaling };
        using var scope = NewDisposeScope();
        foreach (var w in adapter.Weights)
        {
            message.Projections.Add(new WireWeights
            {
                Block = (uint)w.Block,
                Module = w.Module,
                A = TensorCodec.Encode(w.A.detach().to_type(ScalarType.Float32), Wire.TensorCompression.None),
                B = TensorCodec.Encode(w.B.detach().to_type(ScalarType.Float32), Wire.TensorCompression.None),
            });
        }
        return message;
    }

    /// <summary>
    /// The adapter for blocks [start, end) of a model of <paramref name="config"/>; at most <paramref name="maxElements"/>
    /// values in all. Anything else is a <see cref="TensorFormatException"/> naming the problem.
    /// </summary>
    public static LoraAdapter Decode(WireAdapter message, ModelConfig config, int start, int end, long maxElements)
    {
        var weights = new List<LoraWeight>(message.Projections.Count);
        var decoded = new List<Tensor>();
        var remaining = maxElements;
        Tensor Next(Wire.SerializedTensor part)
        {
            var tensor = TensorCodec.Decode(part, new TensorLimits(remaining, MaxRank: 2)).MoveToDType(ScalarType.Float32);
            decoded.Add(tensor);
            remaining -= tensor.NumberOfElements;
            return tensor;
        }
        try
        {
            foreach (var w in message.Projections)
            {
                if (w.A is null || w.B is null)
                    throw new TensorFormatException($"LoRA weight for block {w.Block} {w.Module} lacks lora_A or lora_B");
                weights.Add(new LoraWeight(w.Block > int.MaxValue ? -1 : (int)w.Block, w.Module, Next(w.A), Next(w.B)));
            }
            var adapter = new LoraAdapter(message.Scaling, weights);
            adapter.Validate(config, start, end);
            return adapter;
        }
        catch (Exception e) when (e is ArgumentException or TensorFormatException)
        {
            foreach (var tensor in decoded) tensor.Dispose();
            throw e as TensorFormatException ?? new TensorFormatException(e.Message);
        }
    }

    /// <summary>
    /// Gradients a provider returned for <paramref name="sent"/>: the same (block, module) entries in the same order with
    /// the same shapes, else a <see cref="TensorFormatException"/>.
    /// </summary>
    public static LoraAdapter DecodeGradients(WireAdapter message, LoraAdapter sent)
    {
        if (message.Projections.Count != sent.Weights.Count)
            throw new TensorFormatException($"{message.Projections.Count} LoRA gradients for an adapter of {sent.Weights.Count} weights");
        var decoded = new List<Tensor>();
        try
        {
            Tensor Like(Wire.SerializedTensor? part, Tensor like)
            {
                var tensor = TensorCodec.Decode(part ?? throw new TensorFormatException("a LoRA gradient is missing"), new TensorLimits(like.NumberOfElements, MaxRank: 2))
                    .MoveToDType(ScalarType.Float32);
                decoded.Add(tensor);
                if (!tensor.shape.SequenceEqual(like.shape))
                    throw new TensorFormatException($"a LoRA gradient of shape [{string.Join(", ", tensor.shape)}] for a weight of shape [{string.Join(", ", like.shape)}]");
                return tensor;
            }
            var weights = sent.Weights.Zip(message.Projections).Select(pair =>
            {
                var (w, g) = pair;
                if (g.Block != w.Block || g.Module != w.Module)
                    throw new TensorFormatException($"a LoRA gradient for block {g.Block} {g.Module} where block {w.Block} {w.Module} was sent");
                return w with { A = Like(g.A, w.A), B = Like(g.B, w.B) };
            }).ToList();
            return new LoraAdapter(sent.Scaling, weights);
        }
        catch
        {
            foreach (var tensor in decoded) tensor.Dispose();
            throw;
        }
    }
}
