using Microsoft.Extensions.Logging;
using Peerz.Hosting.Logging;

namespace Peerz.Verifier.Tests.Hosting;

/// <summary>The one logging setup the verifier (and every other Peerz process) starts with.</summary>
public sealed class PeerzLoggingTests
{
    [Fact]
    public void Information_by_default_debug_with_verbose_and_microsoft_categories_at_warning_either_way()
    {
        using var quiet = PeerzLogging.CreateFactory(verbose: false);
        using var verbose = PeerzLogging.CreateFactory(verbose: true);

        Assert.True(quiet.CreateLogger("peerz-verifier").IsEnabled(LogLevel.Information));
        Assert.False(quiet.CreateLogger("peerz-verifier").IsEnabled(LogLevel.Debug));
        Assert.True(verbose.CreateLogger("peerz-verifier").IsEnabled(LogLevel.Debug));
        foreach (var factory in new[] { quiet, verbose })
        {
            Assert.False(factory.CreateLogger("Microsoft.AspNetCore.Server.Kestrel").IsEnabled(LogLevel.Information));
            Assert.True(factory.CreateLogger("Microsoft.AspNetCore.Server.Kestrel").IsEnabled(LogLevel.Warning));
        }
    }

    [Fact]
    public void A_quieter_command_logs_only_from_its_level_unless_verbose()
    {
        using var quiet = PeerzLogging.CreateFactory(verbose: false, LogLevel.Warning);
        using var verbose = PeerzLogging.CreateFactory(verbose: true, LogLevel.Warning);

        Assert.False(quiet.CreateLogger("Peerz.Gateway").IsEnabled(LogLevel.Information));
        Assert.True(quiet.CreateLogger("Peerz.Gateway").IsEnabled(LogLevel.Warning));
        Assert.True(verbose.CreateLogger("Peerz.Gateway").IsEnabled(LogLevel.Debug));
    }
}
