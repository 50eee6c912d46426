using Peerz.Testing;
using Peerz.Testing.Processes;

namespace Peerz.Cli.Tests;

/// <summary>`peerz model` refuses a tiny-model shape it cannot build with the reason, as a user error, before writing anything.</summary>
[Trait("Category", "Process")]
public sealed class ModelShapeCliTests : IDisposable
{
    private readonly string _directory = TempDirectory.Create("model-shape-cli");

    [Theory]
    [InlineData("init-tiny", "--random")]
    [InlineData("train-tiny", "--steps", "1")]
    public async Task A_hidden_size_that_does_not_split_into_heads_is_one_error_line(params string[] command)
    {
        var output = Path.Combine(_directory, command[0]);
        var result = await ToolProcess.RunAsync("peerz", ["model", .. command, "--hidden", "30", "--out", output]);

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("error: hidden (30) must split into 4 heads of an even size", result.Error.Trim());
        Assert.DoesNotContain("Unhandled exception", result.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(output, "config.json")));
    }

    public void Dispose() => TempDirectory.Delete(_directory);
}
