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

    /// <summary>Forgets positions [position, maxLength): zeroed, as in a cache that never held them.</summary>
    public void Truncate(int position)
    {
        var dropped = _keys.shape[2] - position;
        if (dropped <= 0) return;
        using (var tail = _keys.narrow(2, position, dropped)) tail.zero_();
        using (var tail = _values.narrow(2, position, dropped)) tail.zero_();
    }

    /// <summary>Copies of the cached keys and values of positions [0, length), for comparisons in tests.</summary>
    internal (Tensor Keys, Tensor Values) Snapshot(int length) =>
        (_keys.narrow(2, 0, length).clone(), _values.narrow(2, 0, length).clone());

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
