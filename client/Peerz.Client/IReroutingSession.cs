using Peerz.Model.Generation;

namespace Peerz.Client;

/// <summary>A session through the swarm that replaces lost providers on its own, and says when it did.</summary>
public interface IReroutingSession : IBlockSession
{
    /// <summary>Raised after a lost provider was replaced and the session's history replayed (inside the step that found it lost).</summary>
    event Action<ProviderReplacement>? ProviderReplaced;
}
