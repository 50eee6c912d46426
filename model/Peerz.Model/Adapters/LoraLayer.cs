using static TorchSharp.torch;

namespace Peerz.Model.Adapters;

/// <summary>
/// One projection's low-rank update, as PEFT computes it: delta(x) = scaling · B(A(x)), A [rank, in], B [out, rank].
/// The base weight is never touched, so one copy of it serves every adapter.
/// </summary>
public sealed record LoraLayer(Tensor A, Tensor B, double Scaling)
{
    public Tensor Delta(Tensor input)
    {
        using var scope = NewDisposeScope();
        var a = A.dtype == input.dtype ? A : A.to_type(input.dtype);
        var b = B.dtype == input.dtype ? B : B.to_type(input.dtype);
        return (nn.functional.linear(nn.functional.linear(input, a), b) * Scaling).MoveToOuterDisposeScope();
    }
}
