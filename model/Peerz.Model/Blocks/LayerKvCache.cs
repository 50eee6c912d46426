using static TorchSharp.torch;

namespace Peerz.Model.Blocks;

/// <summary>Preallocated keys and values of one block for one session: [batch, kvHeads, maxLength, headDim].</summary>
internal sealed class LayerKvCache(long batch, long kvHeads, long maxLength, long headDim, ScalarType dtype) : IDisposable
{
    // Long-lived: detached so a dispose scope that happens to be open on this thread cannot free them.
    private readonly Tensor _keys = zeros([batch, kvHeads, maxLength, headDim], dtype).DetachFromDisposeScope();
    private readonly Tensor _values = zeros([batch, kvHeads, maxLength, headDim], dtype).DetachFromDisposeScope();

    public static long BytesFor(long batch, long kvHeads, long maxLength, long headDim, ScalarType dtype) =>
        2 * batch * kvHeads * maxLength * headDim * ElementSize(dtype);

    /// <summary>Writes keys/values for positions [start, start+T) and returns views of [0, start+T).</summary>
    public (Tensor Keys, Tensor Values) Append(Tensor keys, Tensor values, int start)
    {
        var length = keys.shape[2];
        using (var target = _keys.narrow(2, start, length)) target.copy_(keys);
        using (var target = _values.narrow(2, start, length)) target.copy_(values);
        return (_keys.narrow(2, 0, start + length), _values.narrow(2, 0, start + length));
    }

    private static long ElementSize(ScalarType dtype) => dtype switch
    {
        ScalarType.Float32 => 4,
        ScalarType.Float16 or ScalarType.BFloat16 => 2,
        _ => throw new ArgumentException($"unsupported cache dtype {dtype}"),
    };

    public void Dispose()
    {
        _keys.Dispose();
        _values.Dispose();
    }
}
