using System.Buffers.Binary;
using System.Text;
using Peerz.Model.Blocks;
using Peerz.Model.Checkpoints;

namespace Peerz.Model.Tests;

/// <summary>Hostile or damaged safetensors files give a clear error naming the file (and tensor), never a crash.</summary>
public sealed class CheckpointValidationTests : IDisposable
{
    private readonly string _dir = TempDirectory.Create("bad");

    private string Write(byte[] bytes)
    {
        var path = Path.Combine(_dir, $"{Guid.NewGuid():N}.safetensors");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static byte[] File_(string headerJson, int dataBytes, ulong? declaredLength = null)
    {
        var header = Encoding.UTF8.GetBytes(headerJson);
        var bytes = new byte[8 + header.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, declaredLength ?? (ulong)header.Length);
        header.CopyTo(bytes, 8);
        return bytes;
    }

    private CheckpointFormatException Rejected(byte[] bytes, params string[] expectedFragments)
    {
        var path = Write(bytes);
        var error = Assert.Throws<CheckpointFormatException>(() => SafetensorsFile.Open(path).Dispose());
        Assert.Contains(path, error.Message);
        foreach (var fragment in expectedFragments) Assert.Contains(fragment, error.Message);
        return error;
    }

    [Fact]
    public void A_file_shorter_than_the_length_prefix_is_rejected() => Rejected([1, 2, 3], "shorter");

    [Fact]
    public void A_header_length_past_the_end_is_rejected() => Rejected(File_("{}", 0, declaredLength: 1000), "past the end");

    [Fact]
    public void An_absurd_header_length_is_rejected_before_allocating() => Rejected(File_("{}", 0, declaredLength: ulong.MaxValue), "exceeds");

    [Fact]
    public void A_header_that_is_not_json_is_rejected() => Rejected(File_("{not json", 0), "JSON");

    [Fact]
    public void An_unknown_dtype_is_rejected_naming_the_tensor() =>
        Rejected(File_("""{"w":{"dtype":"F8_E5M2","shape":[2],"data_offsets":[0,2]}}""", 2), "'w'", "F8_E5M2");

    [Fact]
    public void Offsets_past_the_end_are_rejected_naming_the_tensor() =>
        Rejected(File_("""{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}""", 8), "'w'", "truncated");

    [Fact]
    public void A_shape_that_does_not_match_the_byte_size_is_rejected() =>
        Rejected(File_("""{"w":{"dtype":"F32","shape":[3,3],"data_offsets":[0,16]}}""", 16), "'w'", "36 bytes");

    [Fact]
    public void Negative_or_reversed_offsets_are_rejected() =>
        Rejected(File_("""{"w":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}}""", 16), "'w'");

    [Fact]
    public void Overlapping_tensors_are_rejected() =>
        Rejected(File_("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", 12), "overlap");

    [Fact]
    public void A_shape_overflow_is_rejected() =>
        Rejected(File_("""{"w":{"dtype":"F32","shape":[4611686018427387904,4611686018427387904],"data_offsets":[0,4]}}""", 4), "'w'");

    [Fact]
    public void Random_bytes_never_crash_the_header_parser()
    {
        var random = new Random(1234);
        for (var i = 0; i < 2000; i++)
        {
            var bytes = new byte[random.Next(0, 200)];
            random.NextBytes(bytes);
            if (bytes.Length >= 8 && random.Next(2) == 0)
                BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)random.Next(0, bytes.Length));
            var path = Write(bytes);
            try
            {
                SafetensorsFile.Open(path).Dispose();
            }
            catch (CheckpointFormatException)
            {
                // The expected outcome for garbage; anything else fails the test.
            }
            File.Delete(path);
        }
    }

    [Fact]
    public void A_tensor_whose_shape_disagrees_with_config_is_rejected_naming_both()
    {
        var model = Path.Combine(_dir, "model");
        Tiny.TinyModelGenerator.Write(model, TinyModelFixture.TestShape);
        var config = File.ReadAllText(Path.Combine(model, Checkpoint.ConfigFile)).Replace("\"intermediate_size\": 192", "\"intermediate_size\": 100");
        File.WriteAllText(Path.Combine(model, Checkpoint.ConfigFile), config);
        using var checkpoint = Checkpoint.Open(model);
        var error = Assert.Throws<CheckpointFormatException>(() => BlockSpan.Load(checkpoint, 0, 1));
        Assert.Contains("model.layers.0.mlp.gate_proj.weight", error.Message);
        Assert.Contains("config.json implies", error.Message);
    }

    [Fact]
    public void A_shard_index_cannot_point_outside_the_model_directory()
    {
        var model = Path.Combine(_dir, "indexed");
        Directory.CreateDirectory(model);
        Tiny.TinyModelGenerator.Write(model, TinyModelFixture.TestShape);
        File.Delete(Path.Combine(model, Checkpoint.SingleFile));
        File.WriteAllText(Path.Combine(model, Checkpoint.IndexFile), """{"weight_map":{"model.norm.weight":"../../etc/passwd"}}""");
        var error = Assert.Throws<CheckpointFormatException>(() => Checkpoint.Open(model));
        Assert.Contains("invalid shard name", error.Message);
    }

    [Fact]
    public void A_missing_directory_or_weights_file_is_a_clear_error()
    {
        Assert.Contains("does not exist", Assert.Throws<CheckpointFormatException>(() => Checkpoint.Open(Path.Combine(_dir, "nope"))).Message);
        var model = Path.Combine(_dir, "noweights");
        Tiny.TinyModelGenerator.Write(model, TinyModelFixture.TestShape);
        File.Delete(Path.Combine(model, Checkpoint.SingleFile));
        Assert.Contains("neither", Assert.Throws<CheckpointFormatException>(() => Checkpoint.Open(model)).Message);
    }

    public void Dispose() => TempDirectory.Delete(_dir);
}
