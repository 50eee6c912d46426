using System.Buffers.Binary;
using System.Text.Json;

namespace Peerz.Model.Checkpoints;

/// <summary>
/// Parses and validates a safetensors header (8-byte little-endian length, then JSON) without
/// trusting any of it: lengths, offsets, dtypes and shapes are checked against the file size.
/// </summary>
public sealed class SafetensorsHeader
{
    /// <summary>The format's own bound on header size (safetensors rejects larger headers too).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    private SafetensorsHeader(long dataOffset, IReadOnlyDictionary<string, SafetensorsTensorInfo> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        DataOffset = dataOffset;
        Tensors = tensors;
        Metadata = metadata;
    }

    /// <summary>Offset of the data section from the start of the file.</summary>
    public long DataOffset { get; }

    public IReadOnlyDictionary<string, SafetensorsTensorInfo> Tensors { get; }

    public IReadOnlyDictionary<string, string> Metadata { get; }

    public static SafetensorsHeader Read(Stream stream, long fileLength, string file)
    {
        Span<byte> prefix = stackalloc byte[8];
        if (fileLength < 8 || stream.ReadAtLeast(prefix, 8, throwOnEndOfStream: false) < 8)
            throw new CheckpointFormatException(file, "file is shorter than the 8-byte safetensors header length");
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (headerLength > MaxHeaderBytes)
            throw new CheckpointFormatException(file, $"header length {headerLength} exceeds the {MaxHeaderBytes}-byte limit");
        if ((long)headerLength > fileLength - 8)
            throw new CheckpointFormatException(file, $"header length {headerLength} runs past the end of the {fileLength}-byte file");
        var json = new byte[headerLength];
        stream.ReadExactly(json);
        return Parse(json, fileLength - 8 - (long)headerLength, 8 + (long)headerLength, file);
    }

    private static SafetensorsHeader Parse(byte[] json, long dataLength, long dataOffset, string file)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new CheckpointFormatException(file, $"header is not valid JSON: {e.Message}", e);
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw new CheckpointFormatException(file, "header is not a JSON object");
            var tensors = new Dictionary<string, SafetensorsTensorInfo>(StringComparer.Ordinal);
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.Name == "__metadata__")
                {
                    ReadMetadata(property.Value, metadata, file);
                    continue;
                }
                var info = ReadTensor(property.Name, property.Value, dataLength, file);
                if (!tensors.TryAdd(info.Name, info))
                    throw new CheckpointFormatException(file, $"tensor '{info.Name}' appears twice");
            }
            CheckNoOverlap(tensors.Values, file);
            return new SafetensorsHeader(dataOffset, tensors, metadata);
        }
    }

    private static void ReadMetadata(JsonElement element, Dictionary<string, string> metadata, string file)
    {
        if (element.ValueKind != JsonValueKind.Object)
            throw new CheckpointFormatException(file, "__metadata__ must be an object of strings");
        foreach (var entry in element.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.String)
                throw new CheckpointFormatException(file, $"__metadata__ value '{entry.Name}' must be a string");
            metadata[entry.Name] = entry.Value.GetString()!;
        }
    }

    private static SafetensorsTensorInfo ReadTensor(string name, JsonElement element, long dataLength, string file)
    {
        CheckpointFormatException Bad(string problem) => new(file, $"tensor '{name}': {problem}");
        if (element.ValueKind != JsonValueKind.Object)
            throw Bad("entry is not an object");
        if (!element.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
            throw Bad("dtype is missing");
        var dtypeName = dtypeElement.GetString()!;
        if (!SafetensorsDTypes.TryParse(dtypeName, out var dtype))
            throw Bad($"unknown or unsupported dtype '{dtypeName}' (supported: F32, F16, BF16, I8)");
        if (!element.TryGetProperty("shape", out var shapeElement) || shapeElement.ValueKind != JsonValueKind.Array)
            throw Bad("shape is missing");
        var shape = new long[shapeElement.GetArrayLength()];
        long elements = 1;
        var index = 0;
        foreach (var dim in shapeElement.EnumerateArray())
        {
            if (dim.ValueKind != JsonValueKind.Number || !dim.TryGetInt64(out var size) || size < 0)
                throw Bad($"shape {shapeElement.GetRawText()} must hold non-negative integers");
            shape[index++] = size;
            elements = size == 0 ? 0 : elements > long.MaxValue / size ? throw Bad("shape overflows") : elements * size;
        }
        if (!element.TryGetProperty("data_offsets", out var offsets) || offsets.ValueKind != JsonValueKind.Array || offsets.GetArrayLength() != 2
            || !offsets[0].TryGetInt64(out var begin) || !offsets[1].TryGetInt64(out var end))
            throw Bad("data_offsets must be [begin, end]");
        if (begin < 0 || end < begin)
            throw Bad($"data_offsets [{begin}, {end}] are not an increasing pair");
        if (end > dataLength)
            throw Bad($"data_offsets end {end} is past the end of the data section ({dataLength} bytes); the file is truncated or corrupt");
        if (elements > long.MaxValue / dtype.ElementSize() || end - begin != elements * dtype.ElementSize())
            throw Bad($"shape [{string.Join(", ", shape)}] of {dtypeName} needs {elements * dtype.ElementSize()} bytes but data_offsets span {end - begin}");
        return new SafetensorsTensorInfo(name, dtype, shape, begin, end);
    }

    private static void CheckNoOverlap(IEnumerable<SafetensorsTensorInfo> tensors, string file)
    {
        SafetensorsTensorInfo? previous = null;
        foreach (var tensor in tensors.Where(t => t.ByteLength > 0).OrderBy(t => t.Begin))
        {
            if (previous is not null && tensor.Begin < previous.End)
                throw new CheckpointFormatException(file, $"tensors '{previous.Name}' and '{tensor.Name}' overlap");
            previous = tensor;
        }
    }
}
