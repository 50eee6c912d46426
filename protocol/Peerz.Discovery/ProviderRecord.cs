using Peerz.Protocol.Wire;

namespace Peerz.Discovery;

/// <summary>What the swarm announces about one provider (from its signed DHT record).</summary>
public sealed record ProviderRecord
{
    public required string PeerId { get; init; }
    public required string ModelId { get; init; }
    public required int Start { get; init; }
    public required int End { get; init; }
    /// <summary>The model's number of blocks as the provider announces it; 0 when it does not say.</summary>
    public int ModelBlocks { get; init; }
    /// <summary>Tokens per second through the provider's whole span.</summary>
    public double Throughput { get; init; } = 1;
    public ServerState State { get; init; } = ServerState.Online;
    public ulong FreeCacheBytes { get; init; }
    public string PricePerToken { get; init; } = "0";
    public IReadOnlyList<string> Addresses { get; init; } = [];
    /// <summary>The staking account the provider announces (0x address), or empty when it is not on chain.</summary>
    public string Account { get; init; } = "";
    /// <summary>The provider's announced compute dtype and weight quantization (verifiers pick their tolerance by them).</summary>
    public string DType { get; init; } = "float32";
    public string Quantization { get; init; } = "none";
    /// <summary>Whether the provider says peers can dial it directly (AutoNAT), as announced.</summary>
    public Reachability Reachability { get; init; } = Reachability.Unknown;

    /// <summary>Seconds of compute per token per block, from the advertised span throughput.</summary>
    public double SecondsPerTokenPerBlock => 1.0 / (Math.Max(Throughput, 1e-9) * (End - Start));
}
