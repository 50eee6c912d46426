using System.Numerics;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using Peerz.Chain.Contracts;
using Peerz.Chain.Crypto;
using Peerz.Chain.Primitives;
using Peerz.Chain.Rpc;
using Peerz.Protocol.Payments;
using Peerz.Verifier.Hosting;
using Peerz.Verifier.Providers;
using Peerz.Verifier.Slashing;
using Peerz.Verifier.Storage;
using Peerz.Verifier.Verification;

namespace Peerz.Verifier.Sampling;

/// <summary>
/// Checks receipts and acts on the verdicts. Every check ends in a recorded verdict, the verifier's own failures
/// included (as <see cref="VerificationVerdict.Error"/>, which never leads to a slash). A wrong output is proposed for
/// slashing with the recomputed output hash; an unavailable payload only after <see cref="UnavailabilityPolicy.Failures"/>
/// failed fetches spread over time, and that challenge is withdrawn when the payload turns up and checks honest. The
/// provider is always the one the receipt names, resolved on chain (<see cref="ProviderResolver"/>). A receipt is judged
/// until its verdict is final (<see cref="ReceiptState.IsSettled"/>), never again after.
/// </summary>
public sealed partial class VerifierService(ReceiptVerifier verifier, ProviderResolver providers, VerifierLedger ledger, SlashProposer slashes, UnavailabilityPolicy unavailability,
    string modelId, Address verifierAccount, BigInteger chainId, Address registry, TimeProvider time, ILogger<VerifierService> logger) : IReceiptChecker
{
    /// <summary>Raised after every check (for metrics, settlement reports and tests).</summary>
    public event Action<SignedReceipt, VerificationOutcome>? Checked;

    /// <summary>Checks the receipt now; null when it was already judged for good.</summary>
    public async Task<VerificationOutcome?> CheckAsync(SignedReceipt receipt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(receipt);
        var digest = receipt.Receipt.Digest(chainId, registry);
        var state = await ledger.StateAsync(digest, cancellationToken);
        if (state is { IsSettled: true }) return null;
        var outcome = await JudgeAsync(receipt, cancellationToken);
        await ledger.RecordAsync(digest, receipt.Receipt.Provider.ToString(), receipt.ToWire().ToByteArray(), outcome, time.GetUtcNow(), cancellationToken);
        Checked?.Invoke(receipt, outcome);
        if (logger.IsEnabled(LogLevel.Debug)) LogJudged(logger, Hex.Encode(digest), receipt.Receipt.Provider, outcome.Verdict, outcome.Detail);
        try
        {
            await ActAsync(digest, receipt, outcome, state, cancellationToken);
        }
        catch (Exception e) when (e is RpcException or HttpRequestException)
        {
            // The verdict is recorded; an unavailable payload is asked for again, and a failed proposal is logged for the operator.
            LogActingFailed(logger, outcome.Verdict, receipt.Receipt.Provider, e.Message);
        }
        return outcome;
    }

    /// <summary>Asks again for the payloads that could not be fetched (each at most once per spacing); returns how many were checked.</summary>
    public async Task<int> RetryDueAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var due = await ledger.DueRetriesAsync(now, unavailability.Spacing, now - unavailability.RetryFor, cancellationToken);
        foreach (var bytes in due) await CheckAsync(SignedReceipt.FromWire(Protocol.Wire.Receipt.Parser.ParseFrom(bytes)), cancellationToken);
        return due.Count;
    }

    private async Task<VerificationOutcome> JudgeAsync(SignedReceipt receipt, CancellationToken cancellationToken)
    {
        try
        {
            var provider = await providers.ResolveAsync(receipt.Receipt.Provider, cancellationToken);
            return await verifier.VerifyAsync(provider, receipt, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Whatever went wrong is the verifier's problem (chain, model, TorchSharp), never evidence against the provider.
            LogCheckFailed(logger, e, receipt.Receipt.Provider);
            return new(VerificationVerdict.Error, 0, $"the verifier failed: {e.GetType().Name}: {e.Message}");
        }
    }

    private async Task ActAsync(byte[] digest, SignedReceipt receipt, VerificationOutcome outcome, ReceiptState? before, CancellationToken cancellationToken)
    {
        switch (outcome.Verdict)
        {
            case VerificationVerdict.Mismatch:
                logger.LogWarning("wrong output from {Provider}: {Detail}; proposing a slash", receipt.Receipt.Provider, outcome.Detail);
                await ProposeAsync(digest, outcome.Evidence!, SlashFault.WrongOutput, outcome.RecomputedOutputHash!, outcome, 0, cancellationToken);
                break;
            case VerificationVerdict.MissingPayload:
                var failures = await ledger.CountFailureAsync(digest, time.GetUtcNow(), unavailability.Spacing, cancellationToken);
                logger.LogInformation("payload of {Provider} unavailable ({Failures}/{Needed}): {Detail}", receipt.Receipt.Provider, failures, unavailability.Failures, outcome.Detail);
                if (failures >= unavailability.Failures && before?.Slash is null)
                    await ProposeAsync(digest, receipt, SlashFault.Unavailable, new byte[32], outcome, failures, cancellationToken);
                break;
            case VerificationVerdict.Honest when before?.Slash is { Withdrawn: false } slash:
                await slashes.WithdrawAsync(digest, receipt.Receipt.Provider, slash, cancellationToken);
                break;
        }
    }

    private Task<bool> ProposeAsync(byte[] digest, SignedReceipt evidence, SlashFault fault, byte[] recomputedOutputHash, VerificationOutcome outcome, int failures,
        CancellationToken cancellationToken)
    {
        var record = EvidenceRecord.Build(chainId, registry, verifierAccount, modelId, digest, evidence, fault, recomputedOutputHash, outcome.Divergence, outcome.Tolerance, failures, outcome.Detail);
        var proposal = new SlashProposal(evidence.Receipt.Provider, evidence.Receipt.Digest(chainId, registry), fault, recomputedOutputHash, record);
        return slashes.ProposeAsync(digest, evidence, proposal, cancellationToken);
    }

    [LoggerMessage(EventId = 2201, Level = LogLevel.Debug, Message = "receipt {Digest} of {Provider}: {Verdict} ({Detail})")]
    private static partial void LogJudged(ILogger logger, string digest, Address provider, VerificationVerdict verdict, string detail);

    [LoggerMessage(EventId = 2202, Level = LogLevel.Warning, Message = "acting on the {Verdict} verdict for {Provider} failed: {Error}")]
    private static partial void LogActingFailed(ILogger logger, VerificationVerdict verdict, Address provider, string error);

    [LoggerMessage(EventId = 2203, Level = LogLevel.Error, Message = "checking a receipt of {Provider} failed")]
    private static partial void LogCheckFailed(ILogger logger, Exception exception, Address provider);
}
