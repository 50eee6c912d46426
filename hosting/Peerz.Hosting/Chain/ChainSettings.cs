using Peerz.Chain.Contracts;

namespace Peerz.Hosting.Chain;

/// <summary>A chain to talk to: the RPC endpoint and the deployed Peerz contracts.</summary>
public sealed record ChainSettings(Uri RpcUrl, PeerzDeployment Deployment);
