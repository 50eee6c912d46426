using Peerz.Protocol.Wire;
using static TorchSharp.torch;

namespace Peerz.Verifier.Verification;

/// <summary>
/// A recomputed output: encoded exactly as an honest provider would have sent it (its output compression), and decoded
/// back, so codec rounding is not counted as a difference and the encoding can go into the recomputed response.
/// </summary>
public sealed record Recomputed(SerializedTensor Encoded, Tensor Decoded);
