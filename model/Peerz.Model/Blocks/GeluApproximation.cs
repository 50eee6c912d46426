namespace Peerz.Model.Blocks;

/// <summary>Which GELU an MLP applies.</summary>
public enum GeluApproximation
{
    /// <summary>x · Φ(x) with the exact normal CDF (torch's nn.GELU(), Falcon).</summary>
    None,

    /// <summary>0.5 · x · (1 + tanh(√(2/π) · (x + 0.044715 x³))) (BLOOM's bloom_gelu, GPT-2's gelu_new).</summary>
    Tanh,
}
