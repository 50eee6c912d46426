using System.Numerics;
using Google.Protobuf;
using Peerz.Chain.Crypto;
using Peerz.Model.Blocks;
using Peerz.Protocol.Payments;
using Peerz.Protocol.Tensors;
using Peerz.Protocol.Wire;
using Peerz.Verifier.Providers;
using static TorchSharp.torch;

namespace Peerz.Verifier.Verification;

/// <summary>
/// Checks one provider-signed receipt against the provider the chain registered for <c>receipt.provider</c>: the receipt
/// must be signed by a key that provider owns, and recent enough to be within its retention window; the payload is
/// fetched from the registered peer only; its bytes must hash to what the provider signed; the inputs must fit the
/// model; then the blocks are recomputed (bounded in size by the recomputer, in time by <paramref name="recomputeTimeout"/>)
/// and compared within the tolerance of the serving mode the receipt states. For an inference receipt every earlier
/// step of the session is replayed too (the cache depends on them), and each step's output is compared. Mixture-of-experts
/// outputs are replayed with the expert choices the provider signed with them (<see cref="SignedRouting"/>,
/// <see cref="OutputJudgement"/>).
/// </summary>
public sealed class ReceiptVerifier(
    string modelId, SpanRecomputer recomputer, PayloadClient payloads, VerificationTolerances tolerances, TensorLimits limits, SignerOwners owners,
    BigInteger chainId, Address registry, TimeSpan recomputeTimeout, TimeProvider time)
{
    /// <summary>How far in the future a receipt's timestamp may be (clock skew), beyond which it is not evidence.</summary>
    private static readonly TimeSpan MaxFutureSkew = TimeSpan.FromMinutes(5);

    /// <summary>
    /// One recomputation at a time: one that ran over its time keeps running in the background (TorchSharp cannot be
    /// interrupted), and the next must not evict the blocks it uses or double the memory.
    /// </summary>
    private readonly SemaphoreSlim _recomputing = new(1, 1);

    /// <summary>Why the receipt is not evidence against the provider it names (signature, model), or null when it is.</summary>
    public async Task<VerificationOutcome?> NotEvidenceAsync(SignedReceipt receipt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(receipt);
        if (receipt.SignerOrNull(chainId, registry) is not { } signer || await owners.OwnerAsync(signer, cancellationToken) != receipt.Receipt.Provider)
            return new(VerificationVerdict.NotEvidence, 0, $"the receipt is not signed by a key {receipt.Receipt.Provider} owns");
        return receipt.Receipt.ModelId.AsSpan().SequenceEqual(WorkIds.Model(modelId)) ? null : new(VerificationVerdict.NotEvidence, 0, $"the receipt is not for model {modelId}");
    }

    /// <summary>Why evidence cannot be checked now (provider without a peer id, dated in the future, past its retention window), or null when it can.</summary>
    public VerificationOutcome? NotCheckable(RegisteredProvider? provider, SignedReceipt receipt)
    {
        ArgumentNullException.ThrowIfNull(receipt);
        if (provider is null)
            return new(VerificationVerdict.NotEvidence, 0, $"{receipt.Receipt.Provider} has no peer id registered");
        var age = time.GetUtcNow() - DateTimeOffset.FromUnixTimeSeconds((long)Math.Min(receipt.Receipt.Timestamp, (ulong)long.MaxValue / 1000));
        if (age < -MaxFutureSkew)
            return new(VerificationVerdict.NotEvidence, 0, $"the receipt is dated {-age.TotalSeconds:F0} s in the future");
        return age > provider.Retention
            ? new(VerificationVerdict.NotCheckable, 0, $"the receipt is {age.TotalMinutes:F0} min old, past the provider's retention window of {provider.Retention.TotalMinutes:F0} min")
            : null;
    }

    public async Task<VerificationOutcome> VerifyAsync(RegisteredProvider? provider, SignedReceipt receipt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(receipt);
        if ((await NotEvidenceAsync(receipt, cancellationToken) ?? NotCheckable(provider, receipt)) is { } refused) return refused;
        var signer = receipt.Signer(chainId, registry);

        var fetch = await payloads.FetchAsync(provider!.Record, receipt.Receipt.SessionId, receipt.Receipt.Step, cancellationToken);
        if (fetch.Steps is null)
            return fetch.ProviderFault ? new(VerificationVerdict.MissingPayload, 0, fetch.Problem, receipt) : new(VerificationVerdict.NotCheckable, 0, fetch.Problem);
        var steps = CheckAgainstReceipts(fetch.Steps, receipt, signer, out var problem);
        if (steps is null) return new(VerificationVerdict.MissingPayload, 0, problem, receipt);

        // The mode the provider signed, never one it announces; a code no honest provider signs is judged at the tightest tolerance.
        var mode = ServingMode.Decode(receipt.Receipt.ServingMode) ?? ServingMode.Float32;
        var tolerance = receipt.Kind == WorkKind.Backward ? tolerances.GradientsFor(mode.DType, mode.Quantization) : tolerances.For(mode.DType, mode.Quantization);
        var routerMargin = tolerances.RouterMarginFor(mode.DType, mode.Quantization);
        if (!await _recomputing.WaitAsync(recomputeTimeout, cancellationToken))
            return new(VerificationVerdict.Error, 0, $"an earlier recomputation is still running after {recomputeTimeout.TotalSeconds:F0} s");
        var compare = Task.Run(() =>
        {
            try
            {
                return Compare(receipt, steps, tolerance, routerMargin, SpanRecomputer.ReplayWeights(mode.Quantization));
            }
            finally
            {
                _recomputing.Release();
            }
        }, CancellationToken.None);
        try
        {
            return await compare.WaitAsync(recomputeTimeout, cancellationToken) with { Tolerance = tolerance };
        }
        catch (TimeoutException)
        {
            return new(VerificationVerdict.Error, 0, $"the recomputation took longer than {recomputeTimeout.TotalSeconds:F0} s");
        }
    }

    private VerificationOutcome Compare(SignedReceipt receipt, IReadOnlyList<CheckedStep> steps, double tolerance, double routerMargin, WeightQuantization weights)
    {
        try
        {
            return receipt.Kind switch
            {
                WorkKind.Inference => CompareInference(steps, tolerance, routerMargin, weights),
                WorkKind.Forward => CompareForward(steps[0], tolerance, routerMargin, weights),
                WorkKind.Backward => CompareBackward(steps[0], tolerance, routerMargin, weights),
                _ => new(VerificationVerdict.NotEvidence, 0, $"unknown work kind {receipt.Receipt.SessionId[0]}"),
            };
        }
        catch (Exception e) when (e is InvalidProtocolBufferException or FormatException or TensorFormatException)
        {
            // Signed inputs that do not fit the model (or the verifier's bounds) cannot be recomputed: no verdict on the provider.
            return new(VerificationVerdict.NotCheckable, 0, $"the signed inputs cannot be recomputed: {e.Message}");
        }
    }

    /// <summary>The payload's steps, each hashing to its own receipt signed by <paramref name="signer"/>, the last being the reported one; else null.</summary>
    private IReadOnlyList<CheckedStep>? CheckAgainstReceipts(IReadOnlyList<StepPayload> payload, SignedReceipt reported, Address signer, out string problem)
    {
        var steps = new List<CheckedStep>();
        for (var i = 0; i < payload.Count; i++)
        {
            var item = payload[i];
            SignedReceipt stepReceipt;
            try
            {
                stepReceipt = item.Receipt is null ? throw new FormatException("missing") : SignedReceipt.FromWire(item.Receipt);
            }
            catch (FormatException e)
            {
                problem = $"step {i}'s receipt is malformed: {e.Message}";
                return null;
            }
            var r = stepReceipt.Receipt;
            var input = item.Input.ToByteArray();
            var output = item.Output.ToByteArray();
            if (r.Step != (ulong)i || !r.SessionId.AsSpan().SequenceEqual(reported.Receipt.SessionId) || r.Provider != reported.Receipt.Provider
                || stepReceipt.SignerOrNull(chainId, registry) != signer || r.BlockStart != reported.Receipt.BlockStart || r.BlockEnd != reported.Receipt.BlockEnd)
            {
                problem = $"step {i}'s receipt is not the provider's receipt for this session";
                return null;
            }
            if (!r.InputHash.AsSpan().SequenceEqual(WorkBytes.Hash(input)) || !r.OutputHash.AsSpan().SequenceEqual(WorkBytes.Hash(output)))
            {
                problem = $"step {i}'s bytes do not hash to what its receipt states";
                return null;
            }
            steps.Add(new CheckedStep(stepReceipt, input, output));
        }
        if (!steps[^1].Receipt.Receipt.Digest(chainId, registry).AsSpan().SequenceEqual(reported.Receipt.Digest(chainId, registry)))
        {
            problem = "the payload's last receipt is not the reported one";
            return null;
        }
        problem = "";
        return steps;
    }

    private VerificationOutcome CompareInference(IReadOnlyList<CheckedStep> steps, double tolerance, double routerMargin, WeightQuantization weights)
    {
        using var scope = NewDisposeScope();
        var requests = steps.Select(s => InferenceStep.Parser.ParseFrom(s.Input)).ToList();
        var provided = steps.Select(s => TryParse(StepOutput.Parser, s.Output)).ToList();
        var r = steps[0].Receipt.Receipt;
        var signed = SignedRouting.FromResponses(provided.Select((o, i) => (o?.Experts, (SerializedTensor?)requests[i].Hidden)).ToList(), recomputer.Config, (int)(r.BlockEnd - r.BlockStart), routerMargin, out var malformed);
        // The session's output compression is not in the payload; the provider's first answer carries it.
        var compression = provided[0]?.Hidden?.Compression ?? TensorCompression.None;
        var expected = recomputer.Inference((int)r.BlockStart, (int)r.BlockEnd, requests, compression, weights, signed);
        var worst = 0.0;
        for (var i = 0; i < steps.Count; i++)
        {
            var divergence = DivergenceFrom(expected[i], provided[i]?.Hidden);
            var what = $"step {i}'s output";
            var problem = malformed?.Step == i ? $"{what}: {malformed.Value.Problem}" : OutputJudgement.Problem(expected[i], divergence, tolerance, routerMargin, signed is not null, what);
            if (problem is null)
            {
                worst = Math.Max(worst, divergence);
                continue;
            }
            var honest = provided[i]?.Clone() ?? new StepOutput { Step = requests[i].Step };
            honest.Hidden = expected[i].Encoded;
            honest.Experts = ExpertChoicesCodec.Encode(expected[i].Routing);
            return Mismatch(steps[i], divergence, WorkBytes.Output(honest), problem);
        }
        return new(VerificationVerdict.Honest, worst, $"{steps.Count} steps within tolerance {tolerance:G3}{Replayed(signed)}");
    }

    private VerificationOutcome CompareForward(CheckedStep step, double tolerance, double routerMargin, WeightQuantization weights)
    {
        using var scope = NewDisposeScope();
        var request = ForwardRequest.Parser.ParseFrom(step.Input);
        CheckBlocks(request.BlockStart, request.BlockEnd, step.Receipt);
        var provided = TryParse(ForwardResponse.Parser, step.Output);
        var signed = SignedRouting.FromResponses([(provided?.Experts, request.Hidden)], recomputer.Config, (int)(request.BlockEnd - request.BlockStart), routerMargin, out var malformed);
        var expected = recomputer.Forward(request, weights, signed);
        var divergence = DivergenceFrom(expected, provided?.Hidden);
        var problem = malformed is { } m ? $"the output: {m.Problem}" : OutputJudgement.Problem(expected, divergence, tolerance, routerMargin, signed is not null, "the output");
        if (problem is null)
            return new(VerificationVerdict.Honest, divergence, $"within tolerance {tolerance:G3}{Replayed(signed)}");
        var honest = provided?.Clone() ?? new ForwardResponse();
        honest.Hidden = expected.Encoded;
        honest.Experts = ExpertChoicesCodec.Encode(expected.Routing);
        return Mismatch(step, divergence, WorkBytes.Output(honest), problem);
    }

    /// <summary>How a mixture-of-experts output was replayed, for the verdict's detail.</summary>
    private string Replayed(SignedRouting? signed) =>
        signed is not null ? ", replayed with the provider's signed expert choices" : recomputer.Config.IsMixtureOfExperts ? ", replayed with the verifier's own routing (no expert choices signed)" : "";

    /// <remarks>
    /// A mixture-of-experts backward is replayed with the routing the provider signed with its gradients and judged as
    /// outputs are (<see cref="OutputJudgement"/>): the worst gradient names the verdict.
    /// </remarks>
    private VerificationOutcome CompareBackward(CheckedStep step, double tolerance, double routerMargin, WeightQuantization weights)
    {
        using var scope = NewDisposeScope();
        var request = BackwardRequest.Parser.ParseFrom(step.Input);
        CheckBlocks(request.BlockStart, request.BlockEnd, step.Receipt);
        var provided = TryParse(BackwardResponse.Parser, step.Output);
        var signed = SignedRouting.FromResponses([(provided?.Experts, request.Hidden)], recomputer.Config, (int)(request.BlockEnd - request.BlockStart), routerMargin, out var malformed);
        var expected = recomputer.Backward(request, weights, signed);
        var worst = BackwardComparison.Divergences(expected, provided, limits).MaxBy(d => d.Divergence)!;
        var problem = malformed is { } m ? $"the gradients: {m.Problem}" : OutputJudgement.Problem(expected.Input, worst.Divergence, tolerance, routerMargin, signed is not null, worst.Name);
        if (problem is null) return new(VerificationVerdict.Honest, worst.Divergence, $"every gradient within tolerance {tolerance:G3}{Replayed(signed)}");
        return Mismatch(step, worst.Divergence, WorkBytes.Output(BackwardComparison.Honest(expected, provided)), problem);
    }

    /// <summary>A request whose blocks are not the ones its receipt states was not the receipt's work.</summary>
    private static void CheckBlocks(uint start, uint end, SignedReceipt receipt)
    {
        if (start != receipt.Receipt.BlockStart || end != receipt.Receipt.BlockEnd)
            throw new FormatException($"the request is for blocks [{start}, {end}), the receipt for [{receipt.Receipt.BlockStart}, {receipt.Receipt.BlockEnd})");
    }

    /// <summary>
    /// The recomputed response is the provider's own response with the compared tensor replaced by the recomputed
    /// encoding (or that tensor alone when the provider's bytes do not parse), and for a mixture of experts its expert
    /// choices by the routing the replay took, so an arbiter can rebuild it from the payload and the model; its keccak256
    /// goes on chain as the recomputed output hash.
    /// </summary>
    private static VerificationOutcome Mismatch(CheckedStep step, double divergence, byte[] recomputedOutput, string problem) =>
        new(VerificationVerdict.Mismatch, divergence, problem, step.Receipt, WorkBytes.Hash(recomputedOutput));

    /// <summary>The provider's output against the recomputation; infinite when it is missing or does not decode (the provider signed those bytes).</summary>
    private double DivergenceFrom(Recomputed expected, SerializedTensor? provided)
    {
        if (provided is null) return double.PositiveInfinity;
        try
        {
            return expected.DivergenceOf(TensorCodec.Decode(provided, limits));
        }
        catch (Exception e) when (e is TensorFormatException or FormatException)
        {
            return double.PositiveInfinity;
        }
    }

    private static T? TryParse<T>(MessageParser<T> parser, byte[] bytes) where T : class, IMessage<T>
    {
        try
        {
            return parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException)
        {
            return null;
        }
    }

    private sealed record CheckedStep(SignedReceipt Receipt, byte[] Input, byte[] Output);
}
