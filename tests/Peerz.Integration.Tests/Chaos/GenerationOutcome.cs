namespace Peerz.Integration.Tests.Chaos;

public enum OutcomeKind
{
    /// <summary>Completed with exactly the local run's text.</summary>
    Identical,

    /// <summary>Completed with other text, and the cheating provider was on the route: the fault the verifier is there to catch.</summary>
    Cheated,

    /// <summary>Completed with other text although only honest providers served it: a violation.</summary>
    Differed,

    /// <summary>Failed with an error a user can read ("error: …" from the CLI, an HTTP error answer or a refused connection).</summary>
    FailedClearly,

    /// <summary>Failed with a crash (an unhandled exception's stack trace) or nothing said: a violation.</summary>
    FailedUnclearly,

    /// <summary>Did not finish within its bound: a violation.</summary>
    Hung,
}

/// <summary>What one generation (a `peerz generate` run or a request to the gateway) came to.</summary>
public sealed record GenerationOutcome(string Client, OutcomeKind Kind, DateTime Started, TimeSpan Elapsed, string Detail);
