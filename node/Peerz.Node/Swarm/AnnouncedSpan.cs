namespace Peerz.Node.Swarm;

/// <summary>One provider's span as the swarm announces it: blocks [Start, End) at Throughput tokens/s.</summary>
public sealed record AnnouncedSpan(string PeerId, int Start, int End, double Throughput);
