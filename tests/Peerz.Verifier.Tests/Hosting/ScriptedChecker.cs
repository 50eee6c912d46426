using Peerz.Protocol.Payments;
using Peerz.Verifier.Hosting;
using Peerz.Verifier.Verification;

namespace Peerz.Verifier.Tests.Hosting;

/// <summary>
/// Stands in for VerifierService (which needs a chain and a model): each call runs the next scripted step, which may
/// throw as a failing ledger would; every call is recorded with the clock's time.
/// </summary>
public sealed class ScriptedChecker(TimeProvider time) : IReceiptChecker
{
    private readonly Lock _lock = new();
    private readonly List<SignedReceipt> _checked = [];
    private readonly List<DateTimeOffset> _retries = [];

    /// <summary>Run before a check is recorded; throwing makes the check fail.</summary>
    public Action<SignedReceipt> OnCheck { get; init; } = _ => { };

    /// <summary>Returns how many payloads a retry round asked for, or throws.</summary>
    public Func<int, int> OnRetry { get; init; } = _ => 0;

    public IReadOnlyList<SignedReceipt> Checked
    {
        get { lock (_lock) return [.. _checked]; }
    }

    public IReadOnlyList<DateTimeOffset> Retries
    {
        get { lock (_lock) return [.. _retries]; }
    }

    public Task<VerificationOutcome?> CheckAsync(SignedReceipt receipt, CancellationToken cancellationToken)
    {
        lock (_lock) _checked.Add(receipt);
        OnCheck(receipt);
        return Task.FromResult<VerificationOutcome?>(new VerificationOutcome(VerificationVerdict.Honest, 0, "scripted"));
    }

    public Task<int> RetryDueAsync(CancellationToken cancellationToken)
    {
        int round;
        lock (_lock)
        {
            _retries.Add(time.GetUtcNow());
            round = _retries.Count;
        }
        return Task.FromResult(OnRetry(round));
    }
}
