using System.Text.Json;
using Peerz.Model.Configuration;
using TorchSharp;

namespace Peerz.Model.Checkpoints;

/// <summary>
/// A Hugging Face checkpoint directory: config.json plus model.safetensors, or shards listed in
/// model.safetensors.index.json. Shards are opened only when one of their tensors is asked for.
/// </summary>
public sealed class Checkpoint : IDisposable
{
    public const string ConfigFile = "config.json";
    public const string SingleFile = "model.safetensors";
    public const string IndexFile = "model.safetensors.index.json";
    public const string TokenizerFile = "tokenizer.json";

    private readonly Dictionary<string, string> _tensorToFile;
    private readonly Dictionary<string, SafetensorsFile> _openFiles = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    private Checkpoint(string directory, ModelConfig config, Dictionary<string, string> tensorToFile)
    {
        Directory = directory;
        Config = config;
        _tensorToFile = tensorToFile;
    }

    public string Directory { get; }

    public ModelConfig Config { get; }

    public string TokenizerPath => System.IO.Path.Combine(Directory, TokenizerFile);

    public static Checkpoint Open(string directory)
    {
        if (!System.IO.Directory.Exists(directory))
            throw new CheckpointFormatException(directory, "model directory does not exist");
        var config = ModelConfig.Load(System.IO.Path.Combine(directory, ConfigFile));
        var indexPath = System.IO.Path.Combine(directory, IndexFile);
        var singlePath = System.IO.Path.Combine(directory, SingleFile);
        Dictionary<string, string> map;
        if (File.Exists(indexPath))
            map = ReadIndex(indexPath, directory);
        else if (File.Exists(singlePath))
        {
            using var single = SafetensorsFile.Open(singlePath);
            map = single.Tensors.Keys.ToDictionary(name => name, _ => singlePath, StringComparer.Ordinal);
        }
        else
            throw new CheckpointFormatException(directory, $"neither {SingleFile} nor {IndexFile} is present");
        return new Checkpoint(directory, config, map);
    }

    public bool Contains(string tensorName) => _tensorToFile.ContainsKey(tensorName);

    /// <summary>
    /// Raised with every tensor <see cref="Load"/> returns: a trainer collects the weights the model's modules hold this
    /// way (loaded in the file's dtype, a module keeps the very tensor), without the modules exposing them.
    /// </summary>
    public event Action<string, torch.Tensor>? TensorLoaded;

    /// <summary>Loads one tensor in the file's dtype, checking its shape against what the architecture expects.</summary>
    public torch.Tensor Load(string tensorName, params long[] expectedShape)
    {
        if (!_tensorToFile.TryGetValue(tensorName, out var path))
            throw new CheckpointFormatException(Directory, $"tensor '{tensorName}' is missing from the checkpoint");
        var file = OpenFile(path);
        var info = file.Info(tensorName);
        if (!info.Shape.SequenceEqual(expectedShape))
            throw new CheckpointFormatException(path, $"tensor '{tensorName}' has shape [{string.Join(", ", info.Shape)}] but config.json implies [{string.Join(", ", expectedShape)}]");
        if (info.DType == SafetensorsDType.I8)
            throw new CheckpointFormatException(path, $"tensor '{tensorName}' is int8; checkpoints must hold F32, F16 or BF16 weights");
        var tensor = file.Load(tensorName);
        TensorLoaded?.Invoke(tensorName, tensor);
        return tensor;
    }

    private SafetensorsFile OpenFile(string path)
    {
        lock (_lock)
        {
            if (!_openFiles.TryGetValue(path, out var file))
            {
                file = SafetensorsFile.Open(path);
                _openFiles[path] = file;
            }
            return file;
        }
    }

    private static Dictionary<string, string> ReadIndex(string indexPath, string directory)
    {
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(indexPath));
            if (!document.RootElement.TryGetProperty("weight_map", out var weightMap) || weightMap.ValueKind != JsonValueKind.Object)
                throw new CheckpointFormatException(indexPath, "weight_map is missing");
            var map = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var entry in weightMap.EnumerateObject())
            {
                var fileName = entry.Value.ValueKind == JsonValueKind.String ? entry.Value.GetString()! : "";
                // Shard names come from an untrusted file: only plain names inside the model directory.
                if (fileName.Length == 0 || fileName != System.IO.Path.GetFileName(fileName) || fileName is "." or "..")
                    throw new CheckpointFormatException(indexPath, $"tensor '{entry.Name}' maps to an invalid shard name '{fileName}'");
                map[entry.Name] = System.IO.Path.Combine(directory, fileName);
            }
            return map;
        }
        catch (JsonException e)
        {
            throw new CheckpointFormatException(indexPath, $"not valid JSON: {e.Message}", e);
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            foreach (var file in _openFiles.Values) file.Dispose();
            _openFiles.Clear();
        }
    }
}
