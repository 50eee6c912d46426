using System.Text.Json;
using Peerz.Model.Checkpoints;
using static TorchSharp.torch;

namespace Peerz.Model.Tests;

/// <summary>Rewrites a single-file checkpoint as two shards plus model.safetensors.index.json, as HF does for big models.</summary>
public static class ShardedCopy
{
    public const string FirstShard = "model-00001-of-00002.safetensors";
    public const string SecondShard = "model-00002-of-00002.safetensors";

    public static void Write(string source, string target, Func<string, bool> inFirstShard)
    {
        File.Copy(Path.Combine(source, Checkpoint.ConfigFile), Path.Combine(target, Checkpoint.ConfigFile));
        using var file = SafetensorsFile.Open(Path.Combine(source, Checkpoint.SingleFile));
        var tensors = file.Tensors.Keys.Order().Select(name => (Name: name, Tensor: file.Load(name))).ToList();
        try
        {
            SafetensorsWriter.Write(Path.Combine(target, FirstShard), tensors.Where(t => inFirstShard(t.Name)).ToList());
            SafetensorsWriter.Write(Path.Combine(target, SecondShard), tensors.Where(t => !inFirstShard(t.Name)).ToList());
        }
        finally
        {
            foreach (var (_, tensor) in tensors) tensor.Dispose();
        }
        var index = new { metadata = new { total_size = 0 }, weight_map = tensors.ToDictionary(t => t.Name, t => inFirstShard(t.Name) ? FirstShard : SecondShard) };
        File.WriteAllText(Path.Combine(target, Checkpoint.IndexFile), JsonSerializer.Serialize(index));
    }
}
