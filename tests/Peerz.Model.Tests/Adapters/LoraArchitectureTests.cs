using System.Text.Json.Nodes;
using Peerz.Model.Adapters;
using Peerz.Model.Blocks;
using Peerz.Model.Checkpoints;
using Peerz.Model.Tiny;
using Peerz.Testing;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Peerz.Model.Tests.Adapters;

/// <summary>
/// LoRA on BLOOM's and Falcon's fused projections (query_key_value, dense, dense_h_to_4h, dense_4h_to_h) and on Mixtral's
/// attention and every expert's w1, w2, w3, checked as the Llama family's are (<see cref="LoraBlockTests"/>): against
/// the checkpoint with merged weights, where the update is added to the fused query_key_value weight in the checkpoint's
/// own row layout (BLOOM's per-head [heads, 3, head_dim], Falcon's per-group [groups, heads/groups + 2, head_dim]) — so
/// Falcon's split of B by the same rows as the weight is checked independently — or to each expert's own weight, and
/// against central finite differences. PEFT names these modules as in
/// <c>TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING</c> (bloom and falcon: ["query_key_value"]), under
/// <c>base_model.model.transformer.h.{i}.self_attention.</c> / <c>.mlp.</c>, and Mixtral's experts under
/// <c>base_model.model.model.layers.{i}.block_sparse_moe.experts.{e}.</c>.
/// </summary>
public sealed class LoraArchitectureTests(ITestOutputHelper output) : IDisposable
{
    private static readonly BlockLoadOptions Float64 = new() { DType = ScalarType.Float64 };
    private readonly List<string> _directories = [];

    public static TheoryData<string> Layouts => ["bloom", "falcon-7b", "falcon-40b", "mixtral"];

    public static TheoryData<string> FusedLayouts => ["bloom", "falcon-7b", "falcon-40b"];

    [Theory]
    [MemberData(nameof(Layouts))]
    public void Forward_with_an_adapter_on_every_projection_equals_the_model_with_merged_weights(string layout)
    {
        var directory = Generate(layout);
        using var checkpoint = Checkpoint.Open(directory);
        using var adapter = LoraTestAdapters.Trained(checkpoint.Config, LoraModules.AllFor(checkpoint.Config), seed: 3, ScalarType.Float64);
        var merged = Temporary("lora-merged-" + layout);
        LoraChecks.WriteMerged(directory, merged, adapter);
        using var mergedCheckpoint = Checkpoint.Open(merged);
        var layers = checkpoint.Config.NumLayers;
        using var span = BlockSpan.Load(checkpoint, 0, layers, Float64);
        using var mergedSpan = BlockSpan.Load(mergedCheckpoint, 0, layers, Float64);
        using var scope = NewDisposeScope();
        var hidden = randn([2, 6, checkpoint.Config.HiddenSize], ScalarType.Float64, generator: manual_seed(4));
        var adapted = span.Forward(hidden, null, adapter);
        var difference = (adapted - mergedSpan.Forward(hidden)).abs().max().item<double>();
        var effect = (adapted - span.Forward(hidden)).abs().max().item<double>();
        output.WriteLine($"{layout}: max |adapter - merged| = {difference:E2}; the adapter moves the output by {effect:E2}");
        // As for the Llama family: merged weights stored in float32 round by ~6e-8 relative; the adapter's effect is far larger.
        Assert.True(difference <= 1e-5, $"difference {difference}");
        Assert.True(effect > 1e-2, $"the adapter barely changes the output ({effect})");
    }

    [Theory]
    [MemberData(nameof(Layouts))]
    public void Gradients_of_A_and_B_on_every_projection_match_central_finite_differences(string layout)
    {
        using var checkpoint = Checkpoint.Open(Generate(layout));
        var layers = checkpoint.Config.NumLayers;
        using var first = BlockSpan.Load(checkpoint, 0, 2, Float64);
        using var second = BlockSpan.Load(checkpoint, 2, layers, Float64);
        using var adapter = LoraTestAdapters.Trained(checkpoint.Config, LoraModules.AllFor(checkpoint.Config), seed: 5, ScalarType.Float64);
        using var firstAdapter = adapter.Slice(0, 2);
        using var secondAdapter = adapter.Slice(2, layers);
        using var scope = NewDisposeScope();
        var hidden = randn([2, 5, checkpoint.Config.HiddenSize], ScalarType.Float64, generator: manual_seed(6));
        var probe = randn([2, 5, checkpoint.Config.HiddenSize], ScalarType.Float64, generator: manual_seed(7));
        var (worst, checkedCount) = LoraChecks.GradientError(first, second, firstAdapter, secondAdapter, hidden, probe);
        output.WriteLine($"{layout}: {checkedCount} entries of A and B; worst relative error vs finite differences {worst:E2}");
        Assert.True(worst <= 1e-6, $"relative error {worst}");
        Assert.True(checkedCount > 50);
    }

    [Theory]
    [MemberData(nameof(FusedLayouts))]
    public void Adapter_files_use_PEFTs_names_for_the_fused_projections_and_load_back(string layout)
    {
        using var checkpoint = Checkpoint.Open(Generate(layout));
        var config = checkpoint.Config;
        using var fresh = LoraAdapter.Create(config, 0, config.NumLayers, LoraModules.DefaultFor(config), rank: 2, alpha: 4, seed: 1);
        var directory = Temporary("peft-" + layout);
        PeftLoraFiles.Save(directory, fresh, alpha: 4, baseModel: layout);

        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(directory, PeftLoraFiles.ConfigFile)))!.AsObject();
        Assert.Equal(["query_key_value"], json["target_modules"]!.AsArray().Select(m => (string)m!));
        long fused = (config.NumHeads + 2L * config.NumKeyValueHeads) * config.HeadDim;
        using (var file = SafetensorsFile.Open(Path.Combine(directory, PeftLoraFiles.WeightsFile)))
        {
            var expected = Enumerable.Range(0, config.NumLayers).SelectMany(i => new[]
            {
                ($"base_model.model.transformer.h.{i}.self_attention.query_key_value.lora_A.weight", new long[] { 2, config.HiddenSize }),
                ($"base_model.model.transformer.h.{i}.self_attention.query_key_value.lora_B.weight", new long[] { fused, 2 }),
            }).ToDictionary(e => e.Item1, e => e.Item2);
            Assert.Equal(expected.Keys.Order(), file.Tensors.Keys.Order());
            foreach (var (name, shape) in expected) Assert.Equal(shape, file.Tensors[name].Shape);
        }
        var (loaded, _) = PeftLoraFiles.Load(directory, config);
        using (loaded) Assert.Equal(fresh.Weights.Select(w => (w.Block, w.Module)), loaded.Weights.Select(w => (w.Block, w.Module)));
    }

    [Fact]
    public void Adapter_files_name_each_experts_projections_as_PEFT_does_and_load_back()
    {
        using var checkpoint = Checkpoint.Open(Generate("mixtral"));
        var config = checkpoint.Config;
        using var fresh = LoraAdapter.Create(config, 0, config.NumLayers, ["q_proj", "w2"], rank: 2, alpha: 4, seed: 1);
        var directory = Temporary("peft-mixtral");
        PeftLoraFiles.Save(directory, fresh, alpha: 4, baseModel: "mixtral");

        // PEFT's target_modules are the projection names it matches by suffix; the tensors name every expert's module.
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(directory, PeftLoraFiles.ConfigFile)))!.AsObject();
        Assert.Equal(["q_proj", "w2"], json["target_modules"]!.AsArray().Select(m => (string)m!));
        using (var file = SafetensorsFile.Open(Path.Combine(directory, PeftLoraFiles.WeightsFile)))
        {
            long query = config.NumHeads * config.HeadDim;
            var expected = new Dictionary<string, long[]>();
            for (var i = 0; i < config.NumLayers; i++)
            {
                expected[$"base_model.model.model.layers.{i}.self_attn.q_proj.lora_A.weight"] = [2, config.HiddenSize];
                expected[$"base_model.model.model.layers.{i}.self_attn.q_proj.lora_B.weight"] = [query, 2];
                for (var e = 0; e < config.NumExperts; e++)
                {
                    expected[$"base_model.model.model.layers.{i}.block_sparse_moe.experts.{e}.w2.lora_A.weight"] = [2, config.IntermediateSize];
                    expected[$"base_model.model.model.layers.{i}.block_sparse_moe.experts.{e}.w2.lora_B.weight"] = [config.HiddenSize, 2];
                }
            }
            Assert.Equal(expected.Keys.Order(), file.Tensors.Keys.Order());
            foreach (var (name, shape) in expected) Assert.Equal(shape, file.Tensors[name].Shape);
        }
        var (loaded, _) = PeftLoraFiles.Load(directory, config);
        using (loaded) Assert.Equal(fresh.Weights.Select(w => (w.Block, w.Module)).Order(), loaded.Weights.Select(w => (w.Block, w.Module)).Order());
    }

    [Theory]
    [InlineData("experts.4.w1", "unknown target module for mixtral blocks")]
    [InlineData("experts.0.gate_proj", "unknown target module for mixtral blocks")]
    [InlineData("gate_proj", "unknown target module for mixtral blocks")]
    [InlineData("w1", "unknown target module for mixtral blocks")]
    [InlineData("experts.-1.w1", "unknown target module for mixtral blocks")]
    public void A_module_a_mixtral_block_does_not_have_is_refused_with_the_ones_it_has(string module, string reason)
    {
        using var checkpoint = Checkpoint.Open(Generate("mixtral"));
        var config = checkpoint.Config;
        using var adapter = new LoraAdapter(2, [new LoraWeight(0, module, zeros(2, config.HiddenSize), zeros(config.IntermediateSize, 2))]);
        var error = Assert.Throws<ArgumentException>(() => adapter.Validate(config, 0, config.NumLayers));
        Assert.Contains(reason, error.Message);
        // The message lists the targets, and how experts are numbered in this model (4 experts: 0–3).
        Assert.Contains("q_proj, k_proj, v_proj, o_proj, w1, w2, w3", error.Message);
        Assert.Contains("for e in [0, 4)", error.Message);
    }

    [Fact]
    public void A_llama_projection_name_is_refused_for_bloom_blocks_with_the_names_they_have()
    {
        using var checkpoint = Checkpoint.Open(Generate("bloom"));
        var error = Assert.Throws<ArgumentException>(() => LoraAdapter.Create(checkpoint.Config, 0, 2, LoraModules.Default, rank: 2, alpha: 4, seed: 1));
        Assert.Contains("unknown target module for bloom blocks", error.Message);
        Assert.Contains("query_key_value", error.Message);
    }

    private string Generate(string layout)
    {
        var shape = layout switch
        {
            "bloom" => BloomModelFixture.Shape,
            "falcon-7b" => FalconModelFixture.Shape,
            "falcon-40b" => FalconModelFixture.Shape with { KvHeads = 2 },
            "mixtral" => MixtralModelFixture.Shape,
            _ => throw new ArgumentException(layout),
        };
        var directory = Temporary(layout);
        TinyModelGenerator.Write(directory, shape);
        return directory;
    }

    private string Temporary(string name)
    {
        var directory = TempDirectory.Create(name);
        _directories.Add(directory);
        return directory;
    }

    public void Dispose()
    {
        foreach (var directory in _directories) TempDirectory.Delete(directory);
    }
}
