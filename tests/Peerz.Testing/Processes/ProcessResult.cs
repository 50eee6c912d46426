namespace Peerz.Testing.Processes;

/// <summary>What a finished process printed, and how it ended.</summary>
public sealed record ProcessResult(int ExitCode, string Output, string Error)
{
    public override string ToString() => $"exit {ExitCode}\nstdout: {Output}\nstderr: {Error}";
}
