using System.IO.MemoryMappedFiles;
using TorchSharp;

namespace Peerz.Model.Checkpoints;

/// <summary>
/// A safetensors file opened for random access: the header is parsed once and tensors are copied
/// out of a read-only memory map on request, so loading a span touches only that span's pages.
/// </summary>
public sealed class SafetensorsFile : IDisposable
{
    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;

    private SafetensorsFile(string path, SafetensorsHeader header, MemoryMappedFile map, MemoryMappedViewAccessor view)
    {
        Path = path;
        Header = header;
        _map = map;
        _view = view;
    }

    public string Path { get; }

    public SafetensorsHeader Header { get; }

    public IReadOnlyDictionary<string, SafetensorsTensorInfo> Tensors => Header.Tensors;

    public static SafetensorsFile Open(string path)
    {
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CheckpointFormatException(path, $"cannot open: {e.Message}", e);
        }
        try
        {
            var header = SafetensorsHeader.Read(stream, stream.Length, path);
            var map = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
            var view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            return new SafetensorsFile(path, header, map, view);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    public SafetensorsTensorInfo Info(string name) =>
        Header.Tensors.TryGetValue(name, out var info)
            ? info
            : throw new CheckpointFormatException(Path, $"tensor '{name}' is not in this file");

    /// <summary>Copies a tensor out of the map into a new CPU tensor of the file's dtype.</summary>
    public unsafe torch.Tensor Load(string name)
    {
        var info = Info(name);
        var tensor = torch.empty(info.Shape, info.DType.ToScalarType());
        if (info.ByteLength == 0) return tensor;
        byte* pointer = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        try
        {
            var start = pointer + _view.PointerOffset + Header.DataOffset + info.Begin;
            new ReadOnlySpan<byte>(start, checked((int)info.ByteLength)).CopyTo(tensor.bytes);
        }
        finally
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
        }
        return tensor;
    }

    public void Dispose()
    {
        _view.Dispose();
        _map.Dispose();
    }
}
