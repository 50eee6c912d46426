using Peerz.Chain.Contracts;
using Peerz.Chain.Crypto;
using Peerz.Protocol.Wire;

namespace Peerz.Provider.Status;

/// <summary>
/// What the status page reads, filled in by ProviderService as the provider starts: the node's own description (the
/// same ServerInfo it announces and answers on /peerz/info) and, when it is on chain, its registry and account.
/// </summary>
public sealed class ProviderStatusSource
{
    private volatile Func<ServerInfo>? _describe;

    public ProviderRegistry? Registry { get; private set; }

    public Address? Account { get; private set; }

    /// <summary>The node's description, or null while the model is still loading.</summary>
    public ServerInfo? Describe() => _describe?.Invoke();

    /// <summary>The provider's peer id, once its node runs.</summary>
    public string? PeerId { get; private set; }

    public void Serving(Func<ServerInfo> describe, string peerId)
    {
        PeerId = peerId;
        _describe = describe;
    }

    public void OnChain(ProviderRegistry registry, Address account)
    {
        Registry = registry;
        Account = account;
    }
}
