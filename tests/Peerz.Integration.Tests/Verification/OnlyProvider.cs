using Peerz.Discovery;

namespace Peerz.Integration.Tests.Verification;

/// <summary>A directory that offers a single provider, so a route goes through the provider under test.</summary>
public sealed class OnlyProvider(ProviderRecord provider) : IProviderDirectory
{
    public Task<IReadOnlyList<ProviderRecord>> GetProvidersAsync(string modelId, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<ProviderRecord>>([provider]);
}
