using Peerz.Model.Blocks;
using Peerz.Model.Checkpoints;
using Peerz.Model.Client;
using Peerz.Model.Configuration;
using Peerz.Model.Tiny;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Peerz.Model.Tests;

/// <summary>
/// BLOOM (ALiBi, LayerNorm, fused query_key_value, word_embeddings_layernorm on the client, GELU MLP): its logits against
/// the independent <see cref="NaiveBloom"/>, and the same paths as the other architectures: span splits, the KV cache,
/// batched decode, backward through a span for prompt tuning, quantized weights.
/// </summary>
public sealed class BloomTests(BloomModelFixture model, ITestOutputHelper output) : IClassFixture<BloomModelFixture>
{
    private static readonly int[] Tokens = [1, 17, 42, 99, 3, 250, 7, 7, 128, 64];

    // bigscience/bloom-560m's config.json.
    private const string Bloom560m = """
    {"apply_residual_connection_post_layernorm":false,"architectures":["BloomForCausalLM"],"attention_dropout":0.0,"attention_softmax_in_fp32":true,
     "bias_dropout_fusion":true,"bos_token_id":1,"eos_token_id":2,"hidden_dropout":0.0,"hidden_size":1024,"initializer_range":0.02,
     "layer_norm_epsilon":1e-05,"masked_softmax_fusion":true,"model_type":"bloom","n_head":16,"n_inner":null,"n_layer":24,"offset_alibi":100,
     "pad_token_id":3,"pretraining_tp":1,"skip_bias_add":true,"skip_bias_add_qkv":false,"slow_but_exact":false,"transformers_version":"4.27.0.dev0",
     "unk_token_id":0,"use_cache":true,"vocab_size":250880}
    """;

    // The 176B bigscience/bloom names its width n_embed and its heads num_attention_heads (BloomConfig accepts both).
    private const string Bloom176b = """
    {"apply_residual_connection_post_layernorm":false,"attention_dropout":0.0,"architectures":["BloomForCausalLM"],"attention_softmax_in_fp32":true,
     "pad_token_id":3,"bos_token_id":1,"eos_token_id":2,"hidden_dropout":0.0,"initializer_range":0.02,"layer_norm_epsilon":1e-05,
     "masked_softmax_fusion":true,"model_type":"bloom","n_embed":14336,"n_layer":70,"num_attention_heads":112,"pretraining_tp":4,
     "slow_but_exact":false,"transformers_version":"4.21.0","use_cache":true,"vocab_size":250880}
    """;

    // Float32 TorchSharp against float64 loops over 4 blocks with logits of magnitude ~10: rounding stays near 1e-5.
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Logits_match_an_independent_double_precision_implementation_of_hf_bloom(bool tied)
    {
        var dir = TempDirectory.Create("naive-bloom");
        try
        {
            TinyModelGenerator.Write(dir, BloomModelFixture.Shape with { TieWordEmbeddings = tied });
            using var local = LocalModel.Load(dir);
            var ours = local.Logits(Tokens);
            var reference = new NaiveBloom(dir).Logits(Tokens);
            double max = 0, scale = 0;
            for (var i = 0; i < Tokens.Length; i++)
                for (var j = 0; j < reference[i].Length; j++)
                {
                    max = Math.Max(max, Math.Abs(ours[i][j] - reference[i][j]));
                    scale = Math.Max(scale, Math.Abs(reference[i][j]));
                }
            output.WriteLine($"bloom (tied {tied}): max abs diff vs float64 reference {max:E2} (largest logit {scale:F1})");
            Assert.True(scale > 1, "logits should be far from uniform for the comparison to mean something");
            Assert.True(max <= 1e-4, $"max abs diff {max}");
        }
        finally
        {
            TempDirectory.Delete(dir);
        }
    }

    [Fact]
    public void Alibi_slopes_follow_hf_for_every_head_count_including_non_powers_of_two()
    {
        // 6 heads: the 4 slopes of 2^-2 then the odd powers 1 and 3 of 2^-1 (every other slope of an 8-head model).
        Assert.Equal([0.25, 0.0625, 0.015625, 0.00390625, 0.5, 0.125], AlibiSlopes.For(6));
        foreach (var heads in Enumerable.Range(1, 40).Append(112))
        {
            var ours = AlibiSlopes.For(heads);
            var reference = NaiveBloom.Slopes(heads);
            Assert.Equal(heads, ours.Length);
            for (var h = 0; h < heads; h++)
                Assert.True(Math.Abs(ours[h] - reference[h]) <= 1e-15, $"{heads} heads, head {h}: {ours[h]} vs {reference[h]}");
        }
    }

    [Theory]
    [InlineData(WeightQuantization.None)]
    [InlineData(WeightQuantization.Int8)]
    [InlineData(WeightQuantization.Nf4)]
    public void Splitting_into_spans_at_every_boundary_gives_the_whole_models_logits(WeightQuantization quantization) =>
        SpanSplitTests.AssertEverySplitGivesTheWholeModel(model.Directory, new BlockLoadOptions { Quantization = quantization }, output);

    [Theory]
    [InlineData(WeightQuantization.None)]
    [InlineData(WeightQuantization.Int8)]
    public Task Incremental_decoding_of_32_tokens_equals_full_recomputation(WeightQuantization quantization) =>
        KvCacheTests.AssertIncrementalDecodingEqualsRecomputation(model.Directory, new BlockLoadOptions { Quantization = quantization }, output);

    [Fact]
    public void Batched_decode_equals_per_session_decode_for_sessions_at_different_positions_and_after_a_rollback() =>
        BatchedDecodeTests.AssertBatchedDecodeEqualsPerSessionDecode(model.Directory, new BlockLoadOptions(), output);

    [Fact]
    public void Backward_through_a_span_matches_central_finite_differences()
    {
        // Float64 as in SoftPromptGradientTests: truncation O(eps²) ≈ 1e-8, rounding ≈ 1e-16 / eps.
        using var checkpoint = Checkpoint.Open(model.Directory);
        using var span = BlockSpan.Load(checkpoint, 0, 4, new BlockLoadOptions { DType = ScalarType.Float64 });
        using var scope = NewDisposeScope();
        var generator = manual_seed(11);
        var hidden = randn([2, 6, checkpoint.Config.HiddenSize], ScalarType.Float64, generator: generator);
        var outputGradient = randn(hidden.shape, ScalarType.Float64, generator: generator);
        var direction = randn(hidden.shape, ScalarType.Float64, generator: generator);
        double Loss(Tensor x) => (span.Forward(x, startPosition: 3) * outputGradient).sum().item<double>();

        var analytic = (span.Backward(hidden, outputGradient, startPosition: 3) * direction).sum().item<double>();
        const double eps = 1e-5;
        var numeric = (Loss(hidden + eps * direction) - Loss(hidden - eps * direction)) / (2 * eps);
        var relative = Math.Abs(numeric - analytic) / Math.Abs(numeric);
        output.WriteLine($"directional derivative: analytic {analytic:G10}, finite differences {numeric:G10}, relative error {relative:E2}");
        Assert.True(relative <= 1e-6, $"relative error {relative}");
    }

    [Fact]
    public void A_spans_weight_bytes_count_every_linear_weight_and_bias_and_int8_quarters_the_weights()
    {
        using var checkpoint = Checkpoint.Open(model.Directory);
        using var span = BlockSpan.Load(checkpoint, 1, 3);
        using var file = SafetensorsFile.Open(Path.Combine(model.Directory, Checkpoint.SingleFile));
        var linears = file.Tensors.Where(t => (t.Key.StartsWith("transformer.h.1.") || t.Key.StartsWith("transformer.h.2.")) && !t.Key.Contains("layernorm")).ToList();
        Assert.Equal(2 * 8, linears.Count); // query_key_value, dense, dense_h_to_4h, dense_4h_to_h: weight and bias each
        Assert.Equal(linears.Sum(t => t.Value.Shape.Aggregate(4L, (bytes, size) => bytes * size)), span.WeightBytes);

        using var quantized = BlockSpan.Load(checkpoint, 1, 3, new BlockLoadOptions { Quantization = WeightQuantization.Int8 });
        output.WriteLine($"blocks [1, 3): {span.WeightBytes} bytes float32, {quantized.WeightBytes} bytes int8");
        Assert.True(quantized.WeightBytes < span.WeightBytes / 3, "int8 linears should take about a quarter of float32's memory");
    }

    [Fact]
    public void The_client_head_reads_the_word_embeddings_their_layernorm_and_ln_f_only()
    {
        using var checkpoint = Checkpoint.Open(model.Directory);
        var loaded = new List<string>();
        checkpoint.TensorLoaded += (name, _) => loaded.Add(name);
        using var head = ClientHead.Load(checkpoint);
        Assert.Equal(
            ["transformer.ln_f.bias", "transformer.ln_f.weight", "transformer.word_embeddings.weight", "transformer.word_embeddings_layernorm.bias", "transformer.word_embeddings_layernorm.weight"],
            loaded.Order(StringComparer.Ordinal));

        // The embedding is normalized on the client: each position's hidden state has the layernorm's statistics.
        using var scope = NewDisposeScope();
        var embedded = head.EmbedSequence(Tokens);
        using var file = SafetensorsFile.Open(Path.Combine(model.Directory, Checkpoint.SingleFile));
        var table = file.Load("transformer.word_embeddings.weight");
        var rows = table.index_select(0, tensor(Tokens.Select(t => (long)t).ToArray()));
        var centered = rows - rows.mean([1], keepdim: true);
        var normalized = centered / (centered.pow(2).mean([1], keepdim: true) + 1e-5).sqrt();
        var expected = normalized * file.Load("transformer.word_embeddings_layernorm.weight") + file.Load("transformer.word_embeddings_layernorm.bias");
        Assert.True((embedded[0] - expected).abs().max().item<float>() <= 1e-5);
    }

    [Fact]
    public void A_checkpoint_saved_from_the_bare_bloom_model_without_the_transformer_prefix_gives_the_same_logits()
    {
        // The bigscience/bloom* files name tensors word_embeddings.weight, h.0.…, ln_f.… (saved from BloomModel).
        var dir = TempDirectory.Create("bloom-bare");
        try
        {
            File.Copy(Path.Combine(model.Directory, Checkpoint.ConfigFile), Path.Combine(dir, Checkpoint.ConfigFile));
            using (var file = SafetensorsFile.Open(Path.Combine(model.Directory, Checkpoint.SingleFile)))
            {
                var tensors = file.Tensors.Keys.Select(name => (name["transformer.".Length..], file.Load(name))).ToList();
                SafetensorsWriter.Write(Path.Combine(dir, Checkpoint.SingleFile), tensors);
                foreach (var (_, t) in tensors) t.Dispose();
            }
            using var prefixed = LocalModel.Load(model.Directory);
            using var bare = LocalModel.Load(dir);
            Assert.Equal(0, Arrays.MaxAbsDiff(prefixed.Logits(Tokens), bare.Logits(Tokens)));
        }
        finally
        {
            TempDirectory.Delete(dir);
        }
    }

    [Fact]
    public void Published_bloom_configs_parse_with_their_own_key_names()
    {
        var small = ModelConfig.Parse(Bloom560m);
        Assert.Equal(("bloom", 1024, 24, 16, 16, 64, 4096), (small.ModelType, small.HiddenSize, small.NumLayers, small.NumHeads, small.NumKeyValueHeads, small.HeadDim, small.IntermediateSize));
        Assert.Equal((250880, 1e-5, true, true), (small.VocabSize, small.LayerNormEps, small.TieWordEmbeddings, small.Alibi));
        Assert.True(small.QkvBias && small.OutputBias && small.MlpBias);

        var large = ModelConfig.Parse(Bloom176b);
        Assert.Equal((14336, 70, 112, 128), (large.HiddenSize, large.NumLayers, large.NumHeads, large.HeadDim));

        // A generated checkpoint's config reads back as itself.
        Assert.Equal(small with { EosTokenIds = [], BosTokenId = null }, ModelConfig.Parse((small with { EosTokenIds = [], BosTokenId = null }).ToJson()));
    }

    [Fact]
    public void A_residual_taken_after_the_layernorm_is_refused_with_the_key_named()
    {
        var error = Assert.Throws<CheckpointFormatException>(() =>
            ModelConfig.Parse(Bloom560m.Replace("\"apply_residual_connection_post_layernorm\":false", "\"apply_residual_connection_post_layernorm\":true")));
        Assert.Contains("apply_residual_connection_post_layernorm", error.Message);
    }
}
