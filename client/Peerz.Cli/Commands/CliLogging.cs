using System.CommandLine;
using Microsoft.Extensions.Logging;
using Peerz.Hosting;
using Peerz.Hosting.Logging;

namespace Peerz.Cli.Commands;

/// <summary>The peerz CLI's --verbose flag (on the root, for every subcommand) and the loggers its commands log through (stderr).</summary>
public static class CliLogging
{
    public static readonly Option<bool> Verbose = CommonOptions.Verbose();

    public static bool IsVerbose(LayeredSettings settings, ParseResult result) => settings.Get(result, Verbose);

    /// <summary>Debug logs with --verbose, else only records at <paramref name="quiet"/> and above.</summary>
    public static ILoggerFactory Create(LayeredSettings settings, ParseResult result, LogLevel quiet) => PeerzLogging.CreateFactory(IsVerbose(settings, result), quiet);
}
