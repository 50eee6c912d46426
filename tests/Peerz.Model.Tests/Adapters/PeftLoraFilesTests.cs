using System.Text.Json.Nodes;
using Peerz.Model.Adapters;
using Peerz.Model.Checkpoints;
using Peerz.Testing;
using static TorchSharp.torch;

namespace Peerz.Model.Tests.Adapters;

/// <summary>
/// Adapter files in Hugging Face PEFT's layout. Checked against what PEFT writes: <c>LoraConfig</c>'s fields as
/// <c>PeftModel.save_pretrained</c> serialises them to adapter_config.json (peft_type "LORA", task_type "CAUSAL_LM", r,
/// lora_alpha, lora_dropout, target_modules, bias "none", fan_in_fan_out false, base_model_name_or_path), and the state
/// dict keys of <c>get_peft_model_state_dict</c> for a Llama model, which drop the adapter name ("default"):
/// <c>base_model.model.model.layers.{i}.self_attn.q_proj.lora_A.weight</c> [r, in] and <c>lora_B.weight</c> [out, r]
/// (huggingface/peft, src/peft/utils/save_and_load.py and src/peft/tuners/lora/layer.py).
/// </summary>
public sealed class PeftLoraFilesTests(TinyModelFixture model) : IClassFixture<TinyModelFixture>, IDisposable
{
    private readonly string _directory = TempDirectory.Create("peft");

    [Fact]
    public void Saved_files_have_PEFTs_config_keys_tensor_names_and_shapes_and_load_back_unchanged()
    {
        using var checkpoint = Checkpoint.Open(model.Directory);
        var config = checkpoint.Config;
        using var adapter = LoraTestAdapters.Trained(config, ["q_proj", "v_proj", "down_proj"], seed: 2, rank: 4, alpha: 8);
        PeftLoraFiles.Save(_directory, adapter, alpha: 8, baseModel: "peerz/tiny");

        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(_directory, "adapter_config.json")))!.AsObject();
        Assert.Equal("LORA", (string?)json["peft_type"]);
        Assert.Equal("CAUSAL_LM", (string?)json["task_type"]);
        Assert.Equal(4, (int)json["r"]!);
        Assert.Equal(8.0, (double)json["lora_alpha"]!);
        Assert.Equal(0.0, (double)json["lora_dropout"]!);
        Assert.Equal("none", (string?)json["bias"]);
        Assert.False((bool)json["fan_in_fan_out"]!);
        Assert.Equal("peerz/tiny", (string?)json["base_model_name_or_path"]);
        Assert.Equal(["down_proj", "q_proj", "v_proj"], json["target_modules"]!.AsArray().Select(m => (string)m!));

        using (var file = SafetensorsFile.Open(Path.Combine(_directory, "adapter_model.safetensors")))
        {
            var expected = new Dictionary<string, long[]>();
            long hidden = config.HiddenSize, kv = config.NumKeyValueHeads * config.HeadDim;
            for (var i = 0; i < config.NumLayers; i++)
            {
                expected[$"base_model.model.model.layers.{i}.self_attn.q_proj.lora_A.weight"] = [4, hidden];
                expected[$"base_model.model.model.layers.{i}.self_attn.q_proj.lora_B.weight"] = [config.NumHeads * config.HeadDim, 4];
                expected[$"base_model.model.model.layers.{i}.self_attn.v_proj.lora_A.weight"] = [4, hidden];
                expected[$"base_model.model.model.layers.{i}.self_attn.v_proj.lora_B.weight"] = [kv, 4];
                expected[$"base_model.model.model.layers.{i}.mlp.down_proj.lora_A.weight"] = [4, config.IntermediateSize];
                expected[$"base_model.model.model.layers.{i}.mlp.down_proj.lora_B.weight"] = [hidden, 4];
            }
            Assert.Equal(expected.Keys.Order(), file.Tensors.Keys.Order());
            foreach (var (name, shape) in expected) Assert.Equal(shape, file.Tensors[name].Shape);
        }

        var (loaded, alpha) = PeftLoraFiles.Load(_directory, config);
        using (loaded)
        {
            Assert.Equal(8.0, alpha);
            Assert.Equal(adapter.Scaling, loaded.Scaling);
            Assert.Equal(adapter.Weights.Select(w => (w.Block, w.Module)).Order(), loaded.Weights.Select(w => (w.Block, w.Module)).Order());
            foreach (var w in adapter.Weights)
            {
                var back = loaded.Weights.Single(l => l.Block == w.Block && l.Module == w.Module);
                Assert.Equal(0f, (back.A - w.A).abs().max().item<float>());
                Assert.Equal(0f, (back.B - w.B).abs().max().item<float>());
            }
        }
    }

    [Fact]
    public void Bad_adapter_files_are_refused_with_the_reason()
    {
        using var checkpoint = Checkpoint.Open(model.Directory);
        var config = checkpoint.Config;
        var hidden = config.HiddenSize;
        using var adapter = LoraAdapter.Create(config, 0, 2, LoraModules.Default, rank: 4, alpha: 8, seed: 1);
        PeftLoraFiles.Save(_directory, adapter, alpha: 8, baseModel: "peerz/tiny");
        var weights = Path.Combine(_directory, "adapter_model.safetensors");
        var configPath = Path.Combine(_directory, "adapter_config.json");
        var goodConfig = File.ReadAllText(configPath);

        void Refused(string reason, long maxBytes = PeftLoraFiles.DefaultMaxBytes)
        {
            var e = Assert.Throws<CheckpointFormatException>(() => PeftLoraFiles.Load(_directory, config, maxBytes).Adapter.Dispose());
            Assert.Contains(reason, e.Message);
        }

        void WriteTensors(params (string Name, Tensor Tensor)[] tensors) => SafetensorsWriter.Write(weights, tensors);

        Refused("exceeds the adapter limit", maxBytes: 1000);
        WriteTensors((PeftLoraFiles.TensorName(0, "q_proj", 'A'), zeros(4, hidden + 1)), (PeftLoraFiles.TensorName(0, "q_proj", 'B'), zeros(hidden, 4)));
        Refused("lora_A must be [4, 64]");
        WriteTensors(("base_model.model.model.layers.0.self_attn.rotary.lora_A.weight", zeros(4, hidden)));
        Refused("not a LoRA weight of a llama projection");
        // BLOOM's / Falcon's fused projection, or a Llama projection under their layers path, is not one of this model's.
        WriteTensors((PeftLoraFiles.TensorName(0, "query_key_value", 'A'), zeros(4, hidden)));
        Refused("not a LoRA weight of a llama projection");
        WriteTensors(("base_model.model.transformer.h.0.self_attn.q_proj.lora_A.weight", zeros(4, hidden)));
        Refused("not a LoRA weight of a llama projection");
        WriteTensors((PeftLoraFiles.TensorName(0, "q_proj", 'A'), zeros(4, hidden)));
        Refused("lacks lora_B");
        WriteTensors((PeftLoraFiles.TensorName(99, "q_proj", 'A'), zeros(4, hidden)), (PeftLoraFiles.TensorName(99, "q_proj", 'B'), zeros(hidden, 4)));
        Refused("block 99 is not in blocks [0, 4)");
        WriteTensors((PeftLoraFiles.TensorName(0, "q_proj", 'A'), zeros(4, hidden)), (PeftLoraFiles.TensorName(0, "q_proj", 'B'), zeros(hidden, 4)));
        File.WriteAllText(configPath, goodConfig.Replace("\"LORA\"", "\"IA3\""));
        Refused("only LORA adapters");
        File.WriteAllText(configPath, goodConfig.Replace("\"fan_in_fan_out\": false", "\"fan_in_fan_out\": true"));
        Refused("'fan_in_fan_out' is set");
        File.WriteAllText(configPath, goodConfig.Replace("\"r\": 4", "\"r\": 8"));
        Refused("r is 8 but the weights have rank 4");
        File.Delete(configPath);
        Refused("not a PEFT adapter directory");
    }

    /// <summary>
    /// adapter_config.json with the keys PEFT 0.19.1's <c>save_pretrained</c> writes (as in adapters published with that
    /// version, "peft_version" included), for <c>LoraConfig(r=8, lora_alpha=16, target_modules=["q_proj", "v_proj"],
    /// lora_dropout=0.05, task_type="CAUSAL_LM")</c>: most fields at their defaults, keys sorted.
    /// </summary>
    private const string Peft0191Config = """
        {
          "alora_invocation_tokens": null,
          "alpha_pattern": {},
          "arrow_config": null,
          "auto_mapping": null,
          "base_model_name_or_path": "meta-llama/Llama-2-7b-hf",
          "bias": "none",
          "corda_config": null,
          "ensure_weight_tying": false,
          "eva_config": null,
          "exclude_modules": null,
          "fan_in_fan_out": false,
          "inference_mode": true,
          "init_lora_weights": true,
          "layer_replication": null,
          "layers_pattern": null,
          "layers_to_transform": null,
          "loftq_config": {},
          "lora_alpha": 16,
          "lora_bias": false,
          "lora_dropout": 0.05,
          "lora_ga_config": null,
          "megatron_config": null,
          "megatron_core": "megatron.core",
          "modules_to_save": null,
          "peft_type": "LORA",
          "peft_version": "0.19.1",
          "qalora_group_size": 16,
          "r": 8,
          "rank_pattern": {},
          "revision": null,
          "target_modules": ["v_proj", "q_proj"],
          "target_parameters": null,
          "task_type": "CAUSAL_LM",
          "trainable_token_indices": null,
          "use_bdlora": null,
          "use_dora": false,
          "use_qalora": false,
          "use_rslora": false
        }
        """;

    [Fact]
    public void A_config_as_a_recent_peft_writes_it_loads_and_its_settings_that_change_the_math_are_refused_by_name()
    {
        using var checkpoint = Checkpoint.Open(model.Directory);
        var config = checkpoint.Config;
        using var adapter = LoraTestAdapters.Trained(config, ["q_proj", "v_proj"], seed: 2, rank: 8, alpha: 16);
        PeftLoraFiles.Save(_directory, adapter, alpha: 16, baseModel: "peerz/tiny");
        var configPath = Path.Combine(_directory, "adapter_config.json");
        File.WriteAllText(configPath, Peft0191Config);

        var (loaded, alpha) = PeftLoraFiles.Load(_directory, config);
        using (loaded)
        {
            Assert.Equal(16.0, alpha);
            Assert.Equal(2.0, loaded.Scaling);
            Assert.Equal(adapter.Weights.Count, loaded.Weights.Count);
        }
        // use_rslora scales by alpha/√r instead of alpha/r.
        File.WriteAllText(configPath, Peft0191Config.Replace("\"use_rslora\": false", "\"use_rslora\": true"));
        using (var rslora = PeftLoraFiles.Load(_directory, config).Adapter)
            Assert.Equal(16 / Math.Sqrt(8), rslora.Scaling, 12);

        // Each of these changes what the adapter computes (or adds weights beside A and B): refused, naming the key.
        foreach (var (field, value) in new[]
        {
            ("lora_bias", "false"), ("use_qalora", "false"), ("use_dora", "false"), ("layer_replication", "null"), ("modules_to_save", "null"),
            ("trainable_token_indices", "null"), ("target_parameters", "null"), ("alora_invocation_tokens", "null"), ("rank_pattern", "{}"),
        })
        {
            var setting = field switch
            {
                "layer_replication" => "[[0, 2], [1, 4]]",
                "modules_to_save" => "[\"lm_head\"]",
                "trainable_token_indices" => "[5, 6]",
                "target_parameters" => "[\"experts.gate_up_proj\"]",
                "alora_invocation_tokens" => "[128, 9]",
                "rank_pattern" => "{\"q_proj\": 4}",
                _ => "true",
            };
            File.WriteAllText(configPath, Peft0191Config.Replace($"\"{field}\": {value}", $"\"{field}\": {setting}"));
            var e = Assert.Throws<CheckpointFormatException>(() => PeftLoraFiles.Load(_directory, config).Adapter.Dispose());
            Assert.Contains($"'{field}' is set", e.Message);
        }
        // A value of the wrong JSON type is a format error, not a crash.
        File.WriteAllText(configPath, Peft0191Config.Replace("\"use_rslora\": false", "\"use_rslora\": \"no\""));
        Assert.Contains("unexpected value", Assert.Throws<CheckpointFormatException>(() => PeftLoraFiles.Load(_directory, config).Adapter.Dispose()).Message);
    }

    public void Dispose() => TempDirectory.Delete(_directory);
}
