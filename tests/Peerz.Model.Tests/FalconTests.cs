using Peerz.Model.Blocks;
using Peerz.Model.Checkpoints;
using Peerz.Model.Client;
using Peerz.Model.Configuration;
using Peerz.Model.Tiny;
using Xunit.Abstractions;

namespace Peerz.Model.Tests;

/// <summary>
/// Falcon (fused query_key_value for multi-query and grouped attention, parallel attention and MLP, LayerNorm, exact-GELU
/// MLP, rotary) in both layouts served — Falcon-7B's (one key/value head, one input_layernorm) and the new decoder
/// architecture of Falcon-40B/180B (key/value groups, ln_attn and ln_mlp): logits against the independent
/// <see cref="NaiveFalcon"/>, span splits, the KV cache and batched decode as for the other architectures.
/// </summary>
public sealed class FalconTests(FalconModelFixture model, ITestOutputHelper output) : IClassFixture<FalconModelFixture>
{
    private static readonly int[] Tokens = [1, 17, 42, 99, 3, 250, 7, 7, 128, 64];

    // tiiuae/falcon-7b's config.json.
    private const string Falcon7b = """
    {"alibi":false,"apply_residual_connection_post_layernorm":false,"architectures":["FalconForCausalLM"],"attention_dropout":0.0,"bias":false,
     "bos_token_id":11,"eos_token_id":11,"hidden_dropout":0.0,"hidden_size":4544,"initializer_range":0.02,"layer_norm_epsilon":1e-05,
     "model_type":"falcon","multi_query":true,"new_decoder_architecture":false,"num_attention_heads":71,"num_hidden_layers":32,
     "parallel_attn":true,"torch_dtype":"bfloat16","transformers_version":"4.27.4","use_cache":true,"vocab_size":65024}
    """;

    // tiiuae/falcon-40b's config.json.
    private const string Falcon40b = """
    {"alibi":false,"apply_residual_connection_post_layernorm":false,"architectures":["FalconForCausalLM"],"attention_dropout":0.0,"bias":false,
     "bos_token_id":11,"eos_token_id":11,"hidden_dropout":0.0,"hidden_size":8192,"initializer_range":0.02,"layer_norm_epsilon":1e-05,
     "model_type":"falcon","multi_query":true,"new_decoder_architecture":true,"num_attention_heads":128,"num_hidden_layers":60,"num_kv_heads":8,
     "parallel_attn":true,"torch_dtype":"bfloat16","transformers_version":"4.27.4","use_cache":true,"vocab_size":65024}
    """;

    // Float32 TorchSharp against float64 loops over 4 blocks with logits of magnitude ~10: rounding stays near 1e-5.
    [Theory]
    [InlineData(1, true, false)]
    [InlineData(1, false, false)]
    [InlineData(2, true, false)]
    [InlineData(2, false, false)]
    [InlineData(1, true, true)]
    [InlineData(2, false, true)]
    public void Logits_match_an_independent_double_precision_implementation_of_hf_falcon(int kvHeads, bool tied, bool linearBiases)
    {
        var dir = TempDirectory.Create("naive-falcon");
        try
        {
            TinyModelGenerator.Write(dir, FalconModelFixture.Shape with { KvHeads = kvHeads, TieWordEmbeddings = tied, FalconLinearBiases = linearBiases });
            using var local = LocalModel.Load(dir);
            Assert.Equal(kvHeads > 1, local.Checkpoint.Config.Falcon!.NewDecoderArchitecture);
            // The config's "bias" reaches every linear: the fused query_key_value, dense and both MLP projections.
            Assert.Equal((linearBiases, linearBiases, linearBiases), (local.Checkpoint.Config.QkvBias, local.Checkpoint.Config.OutputBias, local.Checkpoint.Config.MlpBias));
            var ours = local.Logits(Tokens);
            var reference = new NaiveFalcon(dir).Logits(Tokens);
            double max = 0, scale = 0;
            for (var i = 0; i < Tokens.Length; i++)
                for (var j = 0; j < reference[i].Length; j++)
                {
                    max = Math.Max(max, Math.Abs(ours[i][j] - reference[i][j]));
                    scale = Math.Max(scale, Math.Abs(reference[i][j]));
                }
            output.WriteLine($"falcon ({(kvHeads > 1 ? $"new decoder architecture, {kvHeads} kv heads" : "multi-query")}, tied {tied}, linear biases {linearBiases}): max abs diff vs float64 reference {max:E2} (largest logit {scale:F1})");
            Assert.True(scale > 1, "logits should be far from uniform for the comparison to mean something");
            Assert.True(max <= 1e-4, $"max abs diff {max}");
        }
        finally
        {
            TempDirectory.Delete(dir);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Splitting_into_spans_at_every_boundary_gives_the_whole_models_logits(int kvHeads) =>
        WithLayout(kvHeads, dir => SpanSplitTests.AssertEverySplitGivesTheWholeModel(dir, new BlockLoadOptions(), output));

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Incremental_decoding_of_32_tokens_equals_full_recomputation(int kvHeads) =>
        WithLayout(kvHeads, dir => KvCacheTests.AssertIncrementalDecodingEqualsRecomputation(dir, new BlockLoadOptions(), output).GetAwaiter().GetResult());

    [Fact]
    public void Batched_decode_equals_per_session_decode_for_sessions_at_different_positions_and_after_a_rollback() =>
        BatchedDecodeTests.AssertBatchedDecodeEqualsPerSessionDecode(model.Directory, new BlockLoadOptions(), output);

    [Fact]
    public void A_spans_weight_bytes_count_the_fused_query_key_value_and_every_linear()
    {
        using var checkpoint = Checkpoint.Open(model.Directory);
        using var span = BlockSpan.Load(checkpoint, 1, 3);
        using var file = SafetensorsFile.Open(Path.Combine(model.Directory, Checkpoint.SingleFile));
        var linears = file.Tensors.Where(t => (t.Key.StartsWith("transformer.h.1.") || t.Key.StartsWith("transformer.h.2.")) && !t.Key.Contains("layernorm") && !t.Key.Contains(".ln_")).ToList();
        Assert.Equal(2 * 4, linears.Count); // query_key_value, dense, dense_h_to_4h, dense_4h_to_h (no biases in Falcon)
        Assert.Equal(linears.Sum(t => t.Value.Shape.Aggregate(4L, (bytes, size) => bytes * size)), span.WeightBytes);
    }

    [Fact]
    public void The_client_head_reads_the_word_embeddings_and_ln_f_only()
    {
        using var checkpoint = Checkpoint.Open(model.Directory);
        var loaded = new List<string>();
        checkpoint.TensorLoaded += (name, _) => loaded.Add(name);
        using var head = ClientHead.Load(checkpoint);
        Assert.Equal(["transformer.ln_f.bias", "transformer.ln_f.weight", "transformer.word_embeddings.weight"], loaded.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Published_falcon_configs_parse_to_their_layouts()
    {
        var small = ModelConfig.Parse(Falcon7b);
        Assert.Equal(("falcon", 4544, 32, 71, 1, 64, 4 * 4544), (small.ModelType, small.HiddenSize, small.NumLayers, small.NumHeads, small.NumKeyValueHeads, small.HeadDim, small.IntermediateSize));
        Assert.Equal(new FalconLayout(NewDecoderArchitecture: false, SeparateMlpNorm: false), small.Falcon);
        Assert.Equal((65024, 1e-5, 10000.0, true, false), (small.VocabSize, small.LayerNormEps, small.RopeTheta, small.TieWordEmbeddings, small.QkvBias));

        var large = ModelConfig.Parse(Falcon40b);
        Assert.Equal((8192, 60, 128, 8, 64), (large.HiddenSize, large.NumLayers, large.NumHeads, large.NumKeyValueHeads, large.HeadDim));
        Assert.Equal(new FalconLayout(NewDecoderArchitecture: true, SeparateMlpNorm: true), large.Falcon);

        // A generated checkpoint's config reads back as itself.
        var plain = large with { EosTokenIds = [], BosTokenId = null };
        Assert.Equal(plain, ModelConfig.Parse(plain.ToJson()));
    }

    [Theory]
    [InlineData("\"alibi\":false", "\"alibi\":true", "alibi")]
    [InlineData("\"parallel_attn\":true", "\"parallel_attn\":false", "parallel_attn")]
    public void Layouts_not_served_are_refused_with_the_key_named(string key, string replacement, string named)
    {
        var error = Assert.Throws<CheckpointFormatException>(() => ModelConfig.Parse(Falcon7b.Replace(key, replacement)));
        Assert.Contains(named, error.Message);
    }

    private static void WithLayout(int kvHeads, Action<string> check)
    {
        var dir = TempDirectory.Create("falcon-layout");
        try
        {
            TinyModelGenerator.Write(dir, FalconModelFixture.Shape with { KvHeads = kvHeads });
            check(dir);
        }
        finally
        {
            TempDirectory.Delete(dir);
        }
    }
}
