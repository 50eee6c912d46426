using Peerz.Client.Payments;
using Peerz.Protocol.Wire;
using static TorchSharp.torch;

namespace Peerz.Client.Remote;

/// <summary>
/// A step sent to a provider and not answered yet. On a push route its input may still be on its way from the
/// previous hop; <see cref="RelayAsync"/> sends it from the client instead. Disposing lets the next paid request to
/// the same provider go.
/// </summary>
public sealed class PendingStep : IAsyncDisposable
{
    private readonly RemoteSpanSession _session;

    internal PendingStep(RemoteSpanSession session, InferenceStep step, long tokens, PaidRequest? payment)
    {
        _session = session;
        Step = step;
        Tokens = tokens;
        Payment = payment;
    }

    internal InferenceStep Step { get; }

    internal long Tokens { get; }

    internal PaidRequest? Payment { get; }

    /// <summary>True when the step was sent without its input (the provider awaits a push or a relay).</summary>
    public bool AwaitsInput => Step.PushInput is not null;

    /// <summary>Sends the awaited input from the client: the previous hop's output, byte for byte. Never answered.</summary>
    public Task RelayAsync(SerializedTensor hidden, CancellationToken cancellationToken) => _session.RelayAsync(Step, hidden, cancellationToken);

    /// <summary>The provider's answer, computed on <paramref name="input"/>; its receipt is checked against exactly that input.</summary>
    public Task<(StepOutput Output, Tensor Hidden)> ReceiveAsync(SerializedTensor input, ScalarType dtype, CancellationToken cancellationToken) =>
        _session.ReceiveAsync(this, input, dtype, cancellationToken);

    public ValueTask DisposeAsync() => Payment?.DisposeAsync() ?? ValueTask.CompletedTask;
}
