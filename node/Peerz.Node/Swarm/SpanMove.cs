namespace Peerz.Node.Swarm;

/// <summary>
/// A rebalancing decision: the provider (Own tokens/s) left blocks From for To, seeing the other
/// providers' throughput per block as OthersPerBlock; the swarm's bottleneck went from Before to After.
/// </summary>
public sealed record SpanMove(int From, int To, int Size, double Own, IReadOnlyList<double> OthersPerBlock, double Before, double After);
