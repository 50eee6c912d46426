using Peerz.Model;
using Peerz.Model.Checkpoints;
using Peerz.Model.Configuration;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Peerz.Client.Training;

/// <summary>
/// The client's trainable parameters (Petals' prompt tuning): <see cref="Shallow"/> soft prompts
/// [prefix, hidden] are prepended to the token embeddings; with deep prompt tuning,
/// <see cref="Deep"/> [layers, prefix, hidden] is added to the prefix positions at every block's
/// input. The model's own weights never change.
/// </summary>
public sealed class SoftPrompts : IDisposable
{
    public const string ShallowName = "prompts";
    public const string DeepName = "deep_prompts";

    private SoftPrompts(Tensor shallow, Tensor? deep)
    {
        Shallow = new Parameter(shallow.DetachFromDisposeScope());
        Deep = deep is null ? null : new Parameter(deep.DetachFromDisposeScope());
    }

    public Parameter Shallow { get; }

    public Parameter? Deep { get; }

    public int PrefixLength => (int)Shallow.shape[0];

    public IEnumerable<Parameter> Parameters => Deep is null ? [Shallow] : [Shallow, Deep];

    /// <summary>
    /// Fresh prompts: shallow ones drawn from N(0, <paramref name="std"/>²) with a fixed seed, deep
    /// ones zero (so training starts from plain prompt tuning, as Petals initialises them).
    /// </summary>
    public static SoftPrompts Create(ModelConfig config, int prefixLength, bool deep, int seed, double std = 0.02)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(prefixLength);
        var generator = new Generator((ulong)seed);
        var shallow = randn([prefixLength, config.HiddenSize], ScalarType.Float32, generator: generator).mul_(std);
        return new SoftPrompts(shallow, deep ? zeros([config.NumLayers, prefixLength, config.HiddenSize], ScalarType.Float32) : null);
    }

    public void Save(string path)
    {
        var tensors = new List<(string, Tensor)> { (ShallowName, Shallow.detach()) };
        if (Deep is not null) tensors.Add((DeepName, Deep.detach()));
        SafetensorsWriter.Write(path, tensors, new Dictionary<string, string> { ["format"] = "peerz-soft-prompts" });
    }

    /// <summary>Reads prompts saved by <see cref="Save"/>, checking they fit <paramref name="config"/>.</summary>
    public static SoftPrompts Load(string path, ModelConfig config)
    {
        using var file = SafetensorsFile.Open(path);
        var shallow = LoadChecked(file, ShallowName, shape => shape.Length == 2 && shape[0] > 0 && shape[1] == config.HiddenSize, $"[prefix, {config.HiddenSize}]");
        try
        {
            var deep = file.Tensors.ContainsKey(DeepName)
                ? LoadChecked(file, DeepName, shape => shape.Length == 3 && shape[0] == config.NumLayers && shape[1] == shallow.shape[0] && shape[2] == config.HiddenSize,
                    $"[{config.NumLayers}, {shallow.shape[0]}, {config.HiddenSize}]")
                : null;
            return new SoftPrompts(shallow, deep);
        }
        catch
        {
            shallow.Dispose();
            throw;
        }
    }

    private static Tensor LoadChecked(SafetensorsFile file, string name, Func<long[], bool> fits, string expected)
    {
        var info = file.Info(name);
        if (!fits(info.Shape))
            throw new CheckpointFormatException(file.Path, $"'{name}' must be {expected} for this model, got [{string.Join(", ", info.Shape)}]");
        return file.Load(name).MoveToDType(ScalarType.Float32);
    }

    public void Dispose()
    {
        Shallow.Dispose();
        Deep?.Dispose();
    }
}
