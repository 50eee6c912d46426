using System.Numerics;
using Peerz.Protocol.Payments;

namespace Peerz.Client.Payments;

/// <summary>One paid request: whom, how much, and the provider's signed receipt for it.</summary>
public sealed record PaymentRecord(string PeerId, ProviderAccount Provider, BigInteger Cost, SignedReceipt Receipt);
