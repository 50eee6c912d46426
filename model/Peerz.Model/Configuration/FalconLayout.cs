namespace Peerz.Model.Configuration;

/// <summary>
/// How a Falcon layer is laid out beyond the shared fields: the new decoder architecture (Falcon-40B/180B: num_kv_heads
/// key/value groups) or Falcon-7B's multi-query attention, and whether the MLP reads its own LayerNorm (ln_mlp, next to
/// ln_attn) or shares the attention's input_layernorm. Attention and MLP always run in parallel on the normed input.
/// </summary>
public sealed record FalconLayout(bool NewDecoderArchitecture, bool SeparateMlpNorm);
