namespace Peerz.Node.Payments;

/// <summary>The provider's on-chain registration does not allow it to serve (unstaked, below minimum, jailed).</summary>
public sealed class ProviderNotEligibleException(string message) : Exception(message);
