namespace Peerz.Model;

/// <summary>A checkpoint file (config, safetensors, index, tokenizer) is malformed; names the file and, where known, the tensor.</summary>
public sealed class CheckpointFormatException : Exception
{
    public CheckpointFormatException(string file, string problem, Exception? inner = null)
        : base($"{file}: {problem}", inner)
    {
        File = file;
    }

    public string File { get; }
}
