using Peerz.Chain.Crypto;
using Peerz.Discovery;

namespace Peerz.Verifier.Providers;

/// <summary>
/// A provider as the chain knows it: its staking account, the peer id it registered (the only peer whose answers
/// count as its answers; Noise authenticates it on every stream), where the DHT says that peer listens, and the
/// payload retention window it serves (from its /peerz/info; one hour when it does not say).
/// </summary>
public sealed record RegisteredProvider(Address Account, string PeerId, ProviderRecord Record, TimeSpan Retention);
