using System.Numerics;
using Google.Protobuf;
using Peerz.Chain.Contracts;
using Peerz.Chain.Crypto;
using Peerz.Client.Routing;
using Peerz.Protocol.Payments;
using Peerz.Protocol.Tensors;
using Peerz.Protocol.Wire;
using static TorchSharp.torch;

namespace Peerz.Verifier.Verification;

/// <summary>
/// Checks one provider-signed receipt: fetches the payload behind it, checks that the bytes hash to what the
/// provider signed, recomputes the blocks and compares within the tolerance for the provider's serving mode.
/// For an inference receipt every earlier step of the session is replayed too (the cache depends on them),
/// and each step's output is compared, so cheating on any step is caught by sampling any later one.
/// </summary>
public sealed class ReceiptVerifier(
    string modelId, SpanRecomputer recomputer, PayloadClient payloads, VerificationTolerances tolerances, TensorLimits limits,
    BigInteger chainId, ProviderRegistry registry)
{
    public async Task<VerificationOutcome> VerifyAsync(ProviderRecord provider, SignedReceipt receipt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(provider);
        ArgumentNullException.ThrowIfNull(receipt);
        if (!Address.TryParse(provider.Account, out var account))
            return new(VerificationVerdict.NotEvidence, 0, "the provider announces no on-chain account");
        var signer = (await registry.GetProviderAsync(account, cancellationToken)).Signer;
        if (receipt.SignerOrNull(chainId, registry.Address) != signer)
            return new(VerificationVerdict.NotEvidence, 0, "the receipt is not signed by the provider's registered key");
        if (!receipt.Receipt.ModelId.AsSpan().SequenceEqual(WorkIds.Model(modelId)))
            return new(VerificationVerdict.NotEvidence, 0, $"the receipt is not for model {modelId}");

        var (payload, problem) = await payloads.FetchAsync(provider, receipt.Receipt.SessionId, receipt.Receipt.Step, cancellationToken);
        if (payload is null) return new(VerificationVerdict.MissingPayload, 0, problem, receipt);
        var steps = CheckAgainstReceipts(payload, receipt, signer, out problem);
        if (steps is null) return new(VerificationVerdict.MissingPayload, 0, problem, receipt);

        var tolerance = tolerances.For(provider.DType, provider.Quantization);
        try
        {
            return receipt.Kind switch
            {
                WorkKind.Inference => CompareInference(steps, tolerance),
                WorkKind.Forward => Compare(steps[0], tolerance, () => recomputer.Forward(ForwardRequest.Parser.ParseFrom(steps[0].Input)),
                    output => ForwardResponse.Parser.ParseFrom(output).Hidden),
                WorkKind.Backward => Compare(steps[0], tolerance, () => recomputer.Backward(BackwardRequest.Parser.ParseFrom(steps[0].Input)),
                    output => BackwardResponse.Parser.ParseFrom(output).InputGradient),
                _ => new(VerificationVerdict.NotEvidence, 0, $"unknown work kind {receipt.Receipt.SessionId[0]}"),
            };
        }
        catch (Exception e) when (e is InvalidProtocolBufferException or FormatException or TensorFormatException)
        {
            // The provider signed these bytes; if they are not a valid request/response it cannot have computed honestly.
            return new(VerificationVerdict.Mismatch, double.PositiveInfinity, $"the signed payload is malformed: {e.Message}", receipt);
        }
    }

    /// <summary>The payload's steps, each hashing to its own receipt signed by <paramref name="signer"/>, the last being the reported one; else null.</summary>
    private IReadOnlyList<CheckedStep>? CheckAgainstReceipts(PayloadSteps payload, SignedReceipt reported, Address signer, out string problem)
    {
        var steps = new List<CheckedStep>();
        var expectedCount = (int)reported.Receipt.Step + 1;
        if (payload.Steps.Count != expectedCount)
        {
            problem = $"the payload has {payload.Steps.Count} steps, not {expectedCount}";
            return null;
        }
        for (var i = 0; i < payload.Steps.Count; i++)
        {
            var item = payload.Steps[i];
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
            if (r.Step != (ulong)i || !r.SessionId.AsSpan().SequenceEqual(reported.Receipt.SessionId) || stepReceipt.SignerOrNull(chainId, registry.Address) != signer
                || r.BlockStart != reported.Receipt.BlockStart || r.BlockEnd != reported.Receipt.BlockEnd)
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
        if (!steps[^1].Receipt.Receipt.Digest(chainId, registry.Address).AsSpan().SequenceEqual(reported.Receipt.Digest(chainId, registry.Address)))
        {
            problem = "the payload's last receipt is not the reported one";
            return null;
        }
        problem = "";
        return steps;
    }

    private VerificationOutcome CompareInference(IReadOnlyList<CheckedStep> steps, double tolerance)
    {
        using var scope = NewDisposeScope();
        var requests = steps.Select(s => InferenceStep.Parser.ParseFrom(s.Input)).ToList();
        var outputs = steps.Select(s => StepOutput.Parser.ParseFrom(s.Output)).ToList();
        var r = steps[0].Receipt.Receipt;
        // The session's output compression is not in the payload; the provider's answers carry it.
        var compression = outputs[0].Hidden?.Compression ?? TensorCompression.None;
        var expected = recomputer.Inference((int)r.BlockStart, (int)r.BlockEnd, requests, compression);
        var worst = 0.0;
        for (var i = 0; i < steps.Count; i++)
        {
            var divergence = Divergence.Relative(expected[i], TensorCodec.Decode(outputs[i].Hidden ?? throw new FormatException("an output has no hidden states"), limits));
            if (divergence > tolerance)
                return new(VerificationVerdict.Mismatch, divergence, $"step {i}'s output is {divergence:G3} from the recomputation (tolerance {tolerance:G3})", steps[i].Receipt);
            worst = Math.Max(worst, divergence);
        }
        return new(VerificationVerdict.Honest, worst, $"{steps.Count} steps within tolerance {tolerance:G3}");
    }

    private VerificationOutcome Compare(CheckedStep step, double tolerance, Func<Tensor> recompute, Func<byte[], SerializedTensor?> providerOutput)
    {
        using var scope = NewDisposeScope();
        var divergence = Divergence.Relative(recompute(), TensorCodec.Decode(providerOutput(step.Output) ?? throw new FormatException("the response has no tensor"), limits));
        return divergence > tolerance
            ? new(VerificationVerdict.Mismatch, divergence, $"the output is {divergence:G3} from the recomputation (tolerance {tolerance:G3})", step.Receipt)
            : new(VerificationVerdict.Honest, divergence, $"within tolerance {tolerance:G3}");
    }


    private sealed record CheckedStep(SignedReceipt Receipt, byte[] Input, byte[] Output);
}
