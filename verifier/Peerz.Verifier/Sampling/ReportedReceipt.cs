using Peerz.Client.Routing;
using Peerz.Protocol.Payments;

namespace Peerz.Verifier.Sampling;

/// <summary>A receipt to consider checking, with the provider that signed it (as the swarm announces it).</summary>
public sealed record ReportedReceipt(ProviderRecord Provider, SignedReceipt Receipt);
