using Peerz.Model.Blocks;
using Peerz.Model.Configuration;

namespace Peerz.Model.Tests;

/// <summary>config.json files as published on the Hugging Face Hub (fields copied from the model repos named).</summary>
public sealed class ModelConfigTests
{
    // meta-llama/Llama-3.1-8B config.json
    private const string Llama31 = """
    {"architectures":["LlamaForCausalLM"],"attention_bias":false,"attention_dropout":0.0,"bos_token_id":128000,"eos_token_id":128001,
     "hidden_act":"silu","hidden_size":4096,"initializer_range":0.02,"intermediate_size":14336,"max_position_embeddings":131072,
     "mlp_bias":false,"model_type":"llama","num_attention_heads":32,"num_hidden_layers":32,"num_key_value_heads":8,"pretraining_tp":1,
     "rms_norm_eps":1e-05,"rope_scaling":{"factor":8.0,"low_freq_factor":1.0,"high_freq_factor":4.0,"original_max_position_embeddings":8192,"rope_type":"llama3"},
     "rope_theta":500000.0,"tie_word_embeddings":false,"torch_dtype":"bfloat16","transformers_version":"4.43.0.dev0","use_cache":true,"vocab_size":128256}
    """;

    // mistralai/Mistral-7B-v0.3 config.json
    private const string Mistral = """
    {"architectures":["MistralForCausalLM"],"attention_dropout":0.0,"bos_token_id":1,"eos_token_id":2,"hidden_act":"silu","hidden_size":4096,
     "initializer_range":0.02,"intermediate_size":14336,"max_position_embeddings":32768,"model_type":"mistral","num_attention_heads":32,
     "num_hidden_layers":32,"num_key_value_heads":8,"rms_norm_eps":1e-05,"rope_theta":1000000.0,"sliding_window":null,"tie_word_embeddings":false,
     "torch_dtype":"bfloat16","transformers_version":"4.42.0.dev0","use_cache":true,"vocab_size":32768}
    """;

    // Qwen/Qwen2-0.5B config.json
    private const string Qwen2 = """
    {"architectures":["Qwen2ForCausalLM"],"attention_dropout":0.0,"bos_token_id":151643,"eos_token_id":151643,"hidden_act":"silu","hidden_size":896,
     "initializer_range":0.02,"intermediate_size":4864,"max_position_embeddings":131072,"max_window_layers":24,"model_type":"qwen2",
     "num_attention_heads":14,"num_hidden_layers":24,"num_key_value_heads":2,"rms_norm_eps":1e-06,"rope_theta":1000000.0,"sliding_window":131072,
     "tie_word_embeddings":true,"torch_dtype":"bfloat16","transformers_version":"4.40.1","use_cache":true,"use_sliding_window":false,"vocab_size":151936}
    """;

    // mistralai/Mixtral-8x7B-v0.1 config.json
    private const string Mixtral = """
    {"architectures":["MixtralForCausalLM"],"attention_dropout":0.0,"bos_token_id":1,"eos_token_id":2,"hidden_act":"silu","hidden_size":4096,
     "initializer_range":0.02,"intermediate_size":14336,"max_position_embeddings":32768,"model_type":"mixtral","num_attention_heads":32,
     "num_experts_per_tok":2,"num_hidden_layers":32,"num_key_value_heads":8,"num_local_experts":8,"output_router_logits":false,"rms_norm_eps":1e-05,
     "rope_theta":1000000.0,"router_aux_loss_coef":0.02,"sliding_window":null,"tie_word_embeddings":false,"torch_dtype":"bfloat16",
     "transformers_version":"4.36.0.dev0","use_cache":true,"vocab_size":32000}
    """;

    [Fact]
    public void Llama_31_config_with_llama3_rope_scaling()
    {
        var config = ModelConfig.Parse(Llama31);
        Assert.Equal((32, 8, 4, 128, 128256), (config.NumHeads, config.NumKeyValueHeads, config.KeyValueGroups, config.HeadDim, config.VocabSize));
        Assert.Equal(new RopeScaling(8, 1, 4, 8192), config.RopeScaling);
        Assert.False(config.QkvBias);
        Assert.Equal([128001], config.EosTokenIds);
    }

    [Fact]
    public void Llama3_rope_scaling_keeps_high_frequencies_divides_low_ones_and_blends_between()
    {
        var config = ModelConfig.Parse(Llama31);
        var scaled = RotaryEmbedding.ComputeInverseFrequencies(config);
        var plain = RotaryEmbedding.ComputeInverseFrequencies(config with { RopeScaling = null });
        for (var i = 0; i < plain.Length; i++)
        {
            var wavelength = 2 * Math.PI / plain[i];
            if (wavelength < 8192 / 4.0) Assert.Equal(plain[i], scaled[i]);
            else if (wavelength > 8192 / 1.0) Assert.Equal(plain[i] / 8, scaled[i], 12);
            else Assert.InRange(scaled[i], plain[i] / 8, plain[i]);
        }
        Assert.Contains(plain.Select((f, i) => (f, i)), p => 2 * Math.PI / p.f is > 2048 and < 8192);
    }

    [Fact]
    public void Mistral_config_with_null_sliding_window()
    {
        var config = ModelConfig.Parse(Mistral);
        Assert.Equal(("mistral", 1e6, 32768), (config.ModelType, config.RopeTheta, config.VocabSize));
        Assert.Null(config.RopeScaling);
    }

    [Fact]
    public void Mixtral_config_routes_each_token_to_2_of_8_experts()
    {
        var config = ModelConfig.Parse(Mixtral);
        Assert.Equal(("mixtral", 8, 2, 14336), (config.ModelType, config.NumExperts, config.ExpertsPerToken, config.IntermediateSize));
        Assert.True(config.IsMixtureOfExperts);
        Assert.False(ModelConfig.Parse(Mistral).IsMixtureOfExperts);
        var written = ModelConfig.Parse(config.ToJson());
        Assert.Equal((8, 2), (written.NumExperts, written.ExpertsPerToken));
        Assert.Contains("MixtralForCausalLM", config.ToJson());
    }

    [Fact]
    public void Mixtral_config_routing_to_more_experts_than_it_has_is_refused()
    {
        var error = Assert.Throws<CheckpointFormatException>(() => ModelConfig.Parse(Mixtral.Replace("\"num_experts_per_tok\":2", "\"num_experts_per_tok\":9")));
        Assert.Contains("num_experts_per_tok (9) exceeds num_local_experts (8)", error.Message);
    }

    [Fact]
    public void Qwen2_config_has_qkv_bias_and_tied_embeddings()
    {
        var config = ModelConfig.Parse(Qwen2);
        Assert.True(config.QkvBias);
        Assert.False(config.OutputBias);
        Assert.True(config.TieWordEmbeddings);
        Assert.Equal((14, 2, 64), (config.NumHeads, config.NumKeyValueHeads, config.HeadDim));
    }

    [Theory]
    [InlineData("""{"model_type":"gpt2"}""", "not supported")]
    [InlineData("""{"model_type":"llama"}""", "hidden_size")]
    [InlineData("""{"model_type":"llama","hidden_size":"big"}""", "hidden_size")]
    [InlineData("""{"model_type":"llama","hidden_size":64,"intermediate_size":128,"num_hidden_layers":2,"num_attention_heads":4,"num_key_value_heads":3,"vocab_size":10}""", "multiple")]
    [InlineData("""{"model_type":"llama","hidden_size":64,"intermediate_size":128,"num_hidden_layers":-2,"num_attention_heads":4,"vocab_size":10}""", "positive")]
    [InlineData("""{"model_type":"llama","hidden_size":64,"intermediate_size":128,"num_hidden_layers":2,"num_attention_heads":4,"vocab_size":10,"rope_scaling":{"rope_type":"yarn","factor":2}}""", "yarn")]
    [InlineData("[1,2]", "not a JSON object")]
    [InlineData("{", "not valid JSON")]
    public void Bad_configs_are_rejected_with_the_field_named(string json, string fragment)
    {
        var error = Assert.Throws<CheckpointFormatException>(() => ModelConfig.Parse(json, "config.json"));
        Assert.Contains(fragment, error.Message);
    }

    [Fact]
    public void A_config_round_trips_through_json()
    {
        var config = ModelConfig.Parse(Llama31);
        Assert.Equal(config with { EosTokenIds = [] }, ModelConfig.Parse(config.ToJson()) with { EosTokenIds = [] });
        Assert.Equal(config.EosTokenIds, ModelConfig.Parse(config.ToJson()).EosTokenIds);
    }
}
