using Peerz.Model.Blocks;
using Peerz.Model.Checkpoints;
using Peerz.Model.Configuration;
using static TorchSharp.torch;

namespace Peerz.Model.Client;

/// <summary>
/// What a client holds locally: token embeddings (for BLOOM followed by word_embeddings_layernorm), the final norm and
/// the LM head. It reads only those tensors from the checkpoint; the transformer blocks live on providers.
/// </summary>
public sealed class ClientHead : IDisposable
{
    private readonly Tensor _embeddings;
    private readonly INormalization? _embeddingNorm;
    private readonly INormalization _norm;
    private readonly Tensor _lmHead;

    private ClientHead(ModelConfig config, Tensor embeddings, INormalization? embeddingNorm, INormalization norm, Tensor lmHead)
    {
        Config = config;
        _embeddings = embeddings.DetachFromDisposeScope();
        _embeddingNorm = embeddingNorm;
        _norm = norm;
        _lmHead = lmHead.DetachFromDisposeScope();
    }

    public ModelConfig Config { get; }

    public static ClientHead Load(Checkpoint checkpoint, ScalarType dtype = ScalarType.Float32)
    {
        var config = checkpoint.Config;
        var options = new BlockLoadOptions { DType = dtype };
        var bloom = config.ModelType == BloomConfig.ModelType;
        // Falcon names its embeddings and final LayerNorm as BLOOM does, always under "transformer.", with no embedding norm.
        var falcon = config.ModelType == FalconConfig.ModelType;
        var root = bloom ? BloomTensorNames.Root(checkpoint) : falcon ? "transformer." : "model.";
        var embeddings = checkpoint.Load(root + (bloom || falcon ? BloomTensorNames.WordEmbeddings : "embed_tokens") + ".weight", config.VocabSize, config.HiddenSize).MoveToDType(dtype);
        var embeddingNorm = bloom ? LayerNormWithBias(checkpoint, root + BloomTensorNames.WordEmbeddingsNorm, options) : null;
        INormalization norm = bloom || falcon
            ? LayerNormWithBias(checkpoint, root + BloomTensorNames.FinalNorm, options)
            : TransformerBlock.LoadNorm(checkpoint, "model.norm.weight", options);
        // Tied checkpoints often omit lm_head.weight; some still carry a copy, which we ignore.
        var lmHead = config.TieWordEmbeddings
            ? embeddings.alias()
            : checkpoint.Load("lm_head.weight", config.VocabSize, config.HiddenSize).MoveToDType(dtype);
        return new ClientHead(config, embeddings, embeddingNorm, norm, lmHead);
    }

    private static LayerNorm LayerNormWithBias(Checkpoint checkpoint, string name, BlockLoadOptions options) =>
        LayerNorm.Load(checkpoint, name, checkpoint.Config.HiddenSize, checkpoint.Config.LayerNormEps, hasBias: true, options);

    /// <summary>[batch, length] token ids → [batch, length, hidden] in the head's dtype (BLOOM: normalized by word_embeddings_layernorm).</summary>
    public Tensor Embed(Tensor tokenIds)
    {
        if (tokenIds.dtype != ScalarType.Int64 || tokenIds.ndim != 2)
            throw new ArgumentException("token ids must be an int64 [batch, length] tensor");
        using var noGrad = no_grad();
        using (var min = tokenIds.min())
        using (var max = tokenIds.max())
        {
            if (tokenIds.NumberOfElements > 0 && (min.item<long>() < 0 || max.item<long>() >= Config.VocabSize))
                throw new ArgumentOutOfRangeException(nameof(tokenIds), $"token ids must be in [0, {Config.VocabSize})");
        }
        using var flat = tokenIds.flatten();
        using var rows = _embeddings.index_select(0, flat);
        var embedded = rows.view(tokenIds.shape[0], tokenIds.shape[1], Config.HiddenSize);
        if (_embeddingNorm is null) return embedded;
        using (embedded) return _embeddingNorm.Forward(embedded);
    }

    public Tensor EmbedSequence(IReadOnlyList<int> tokenIds)
    {
        using var ids = tensor(tokenIds.Select(id => (long)id).ToArray(), ScalarType.Int64).unsqueeze(0);
        return Embed(ids);
    }

    /// <summary>Final norm and LM head: [batch, length, hidden] → logits [batch, length, vocab] in float32 (float64 for a float64 head).</summary>
    public Tensor Logits(Tensor hidden)
    {
        using var scope = NewDisposeScope();
        var normalized = _norm.Forward(hidden.to_type(_embeddings.dtype));
        return nn.functional.linear(normalized, _lmHead).to_type(Precision.AtLeastFloat32(_embeddings.dtype)).MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        _embeddings.Dispose();
        _embeddingNorm?.Dispose();
        _norm.Dispose();
        _lmHead.Dispose();
    }
}
