using Peerz.Hosting;
using Peerz.Model;
using Peerz.Model.Adapters;
using Peerz.Model.Configuration;

namespace Peerz.Cli.Commands;

/// <summary>LoRA adapters named on the command line: PEFT directories (`generate --adapter DIR`, `serve --adapter NAME=DIR`).</summary>
internal static class AdapterDirectories
{
    /// <summary>The adapter in <paramref name="directory"/> for a model of <paramref name="config"/>; a bad one is one error line naming <paramref name="option"/>.</summary>
    public static LoraAdapter Load(string directory, ModelConfig config, string option)
    {
        try
        {
            return PeftLoraFiles.Load(directory, config).Adapter;
        }
        catch (CheckpointFormatException e)
        {
            throw new UserErrorException($"{option}: {e.Message}");
        }
    }

    /// <summary>
    /// NAME=DIRECTORY, where NAME (letters, digits, '.', '_', '-'; at most 64) becomes part of a model id the gateway
    /// serves, so it must be safe in a URL, a JSON string and a Prometheus label.
    /// </summary>
    public static (string Name, string Directory) ParseNamed(string text, string option)
    {
        var separator = text.IndexOf('=', StringComparison.Ordinal);
        var (name, directory) = separator < 0 ? ("", "") : (text[..separator], text[(separator + 1)..]);
        if (name.Length is 0 or > 64 || directory.Length == 0 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
            throw new UserErrorException($"{option}: '{text}' is not NAME=DIRECTORY (NAME: 1–64 letters, digits, '.', '_' or '-')");
        return (name, directory);
    }
}
