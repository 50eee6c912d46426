using System.CommandLine;

namespace Peerz.Hosting;

/// <summary>Options shared by several commands, defined once so their names and help agree everywhere.</summary>
public static class CommonOptions
{
    public static Option<string?> Config() => new("--config") { Description = "JSON file of settings (flat object keyed by option name); also PEERZ_CONFIG", Recursive = true };

    /// <summary>Debug logs (Logging/PeerzLogging), for the command and every subcommand.</summary>
    public static Option<bool> Verbose() => new("--verbose") { Description = "Debug logging", Recursive = true };
}
