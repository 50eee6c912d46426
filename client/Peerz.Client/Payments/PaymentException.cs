using Peerz.Protocol.Framing;

namespace Peerz.Client.Payments;

/// <summary>
/// A provider cannot be paid or its receipt is wrong. It counts as a provider failure, so the client routes
/// around that provider.
/// </summary>
public sealed class PaymentException(string message) : ProtocolViolationException(message);
