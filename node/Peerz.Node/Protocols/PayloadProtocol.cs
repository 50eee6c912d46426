using Peerz.Node.Payments;
using Peerz.Protocol.Framing;
using Peerz.Protocol.Wire;

namespace Peerz.Node.Protocols;

/// <summary>
/// /peerz/payload/1.0.0: hands a verifier the bytes behind signed receipts (every step of a session up to the
/// one asked for), so it can check the hashes and recompute. Not producing them counts as a fault.
/// </summary>
public sealed class PayloadProtocol(ProviderPayments payments)
{
    private const int MaxRequestBytes = 1024;

    public async Task HandleAsync(Stream stream, CancellationToken cancellationToken)
    {
        var request = await DelimitedMessages.ReadAsync(stream, PayloadRequest.Parser, MaxRequestBytes, cancellationToken);
        if (request is null) return;
        await DelimitedMessages.WriteAsync(stream, await AnswerAsync(request, cancellationToken), cancellationToken);
    }

    private async Task<PayloadResponse> AnswerAsync(PayloadRequest request, CancellationToken cancellationToken)
    {
        if (request.SessionId.Length != 32)
            return Error(ErrorCode.BadRequest, "session id must be 32 bytes");
        IReadOnlyList<Ledger.Payments.StepRecord>? steps;
        try
        {
            steps = await payments.Ledger.GetStepsAsync(request.SessionId.ToByteArray(), request.Step, payments.Options.MaxPayloadBytes, cancellationToken);
        }
        catch (InvalidOperationException e)
        {
            return Error(ErrorCode.LimitExceeded, e.Message);
        }
        if (steps is null)
            return Error(ErrorCode.NotFound, $"steps 0..{request.Step} of that session are not held (unknown session or past the retention window)");
        var answer = new PayloadSteps();
        answer.Steps.AddRange(steps.Select(s => new StepPayload
        {
            Input = Google.Protobuf.ByteString.CopyFrom(s.Input),
            Output = Google.Protobuf.ByteString.CopyFrom(s.Output),
            Receipt = Receipt.Parser.ParseFrom(s.Receipt),
        }));
        return new PayloadResponse { Steps = answer };
    }

    private static PayloadResponse Error(ErrorCode code, string message) => new() { Error = new PeerzError { Code = code, Message = message } };
}
