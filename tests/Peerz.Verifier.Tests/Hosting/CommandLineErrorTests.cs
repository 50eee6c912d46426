using System.CommandLine;
using Microsoft.Extensions.Hosting;
using Peerz.Hosting;
using Peerz.Verifier.Hosting;

namespace Peerz.Verifier.Tests.Hosting;

/// <summary>Writes to the process's stderr, so it runs alone.</summary>
[CollectionDefinition(nameof(ConsoleOutput), DisableParallelization = true)]
public sealed class ConsoleOutput;

[Collection(nameof(ConsoleOutput))]
public sealed class CommandLineErrorTests
{
    [Fact]
    public async Task A_setting_refused_at_start_up_is_one_error_line_and_exit_code_1()
    {
        var root = new RootCommand("a verifier host with a bad sample rate");
        root.SetAction(async (_, cancellationToken) =>
        {
            var builder = Host.CreateApplicationBuilder();
            builder.Services.AddPeerzVerifier(o => o.SampleRate = 2);
            await PeerzHost.RunAsync(builder.Build(), cancellationToken);
        });
        var error = new StringWriter();
        var original = Console.Error;
        Console.SetError(error);
        int exitCode;
        try
        {
            exitCode = await CommandRunner.RunAsync(root, []);
        }
        finally
        {
            Console.SetError(original);
        }

        Assert.Equal(1, exitCode);
        Assert.Equal(
            "error: --sample-rate must be between 0 and 1; --bootstrap is required: the verifier finds providers through the swarm; "
            + "--rpc-url and --deployment are required: fraud is slashed on chain",
            error.ToString().TrimEnd('\n', '\r'));
    }
}
