using System.CommandLine;

namespace Peerz.Hosting.Chain;

/// <summary>The options that point an executable at a chain: the node's RPC URL and where the contracts are.</summary>
public static class ChainOptions
{
    public static Option<string?> RpcUrl() => new("--rpc-url") { Description = "Ethereum JSON-RPC endpoint (also PEERZ_RPC_URL)" };

    public static Option<string?> Deployment() => new("--deployment") { Description = "JSON file of contract addresses, as scripts/deploy-contracts.mjs writes it (also PEERZ_DEPLOYMENT)" };

    /// <summary>Both options resolved, or null when neither is set (the executable runs without a chain).</summary>
    public static ChainSettings? Resolve(LayeredSettings settings, ParseResult result, Option<string?> rpcUrl, Option<string?> deployment)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var url = settings.Get(result, rpcUrl);
        var file = settings.Get(result, deployment);
        if (url is null && file is null) return null;
        if (url is null || file is null) throw new UserErrorException("--rpc-url and --deployment go together: give both or neither");
        if (!Uri.TryCreate(url, UriKind.Absolute, out var endpoint) || (endpoint.Scheme != Uri.UriSchemeHttp && endpoint.Scheme != Uri.UriSchemeHttps))
            throw new UserErrorException($"--rpc-url '{url}' is not an http(s) URL");
        try
        {
            return new ChainSettings(endpoint, Peerz.Chain.Contracts.PeerzDeployment.Load(file));
        }
        catch (FormatException e)
        {
            throw new UserErrorException(e.Message);
        }
    }
}
