using Peerz.Protocol.Framing;

namespace Peerz.Client.Payments;

/// <summary>
/// A provider cannot be paid or its receipt is wrong. It counts as a provider failure, so the client routes
/// around that provider — unless <see cref="ClientMustFix"/>: the client itself cannot pay (its deposit is short),
/// which no other provider would change.
/// </summary>
public sealed class PaymentException(string message, bool clientMustFix = false) : ProtocolViolationException(message)
{
    public bool ClientMustFix { get; } = clientMustFix;
}
