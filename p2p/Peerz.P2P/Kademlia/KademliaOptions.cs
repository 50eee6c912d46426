using Peerz.P2P.Kademlia.Records;

namespace Peerz.P2P.Kademlia;

/// <summary>Tuning and limits of a <see cref="KademliaDht"/>. Defaults follow the libp2p kad-dht spec where it names one.</summary>
public sealed record KademliaOptions
{
    public const string IpfsProtocolId = "/ipfs/kad/1.0.0";
    public const string PeerzProtocolId = "/peerz/kad/1.0.0";

    /// <summary>Bucket size and replication factor (spec: k = 20).</summary>
    public int K { get; init; } = 20;

    /// <summary>Queries in flight per lookup path (spec: alpha = 3).</summary>
    public int Alpha { get; init; } = 3;

    /// <summary>Disjoint lookup paths (S/Kademlia); 1 is the plain Kademlia lookup.</summary>
    public int DisjointPaths { get; init; } = 1;

    public string ProtocolId { get; init; } = IpfsProtocolId;

    /// <summary>How long a stored record or provider entry lives unless republished (libp2p: 36 h for records).</summary>
    public TimeSpan RecordTtl { get; init; } = TimeSpan.FromHours(36);

    /// <summary>How often our own records and provider entries are pushed again to the current k closest peers.</summary>
    public TimeSpan RepublishInterval { get; init; } = TimeSpan.FromHours(1);

    public int MaxRecords { get; init; } = 10_000;
    public int MaxProviderKeys { get; init; } = 10_000;
    public int MaxProvidersPerKey { get; init; } = 64;

    /// <summary>Bound on one encoded DHT message; larger length prefixes close the stream before any allocation.</summary>
    public int MaxMessageSize { get; init; } = 64 * 1024;

    /// <summary>Time for one outbound request (open stream, send, receive) and for an inbound stream to send its next request.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Valid records a GET_VALUE lookup collects before it stops early.</summary>
    public int GetValueQuorum { get; init; } = 3;

    /// <summary>Validators per key namespace; by default the Peerz signed-record namespace <c>/peerz/</c>.</summary>
    public Func<TimeProvider, RecordValidatorRegistry> Validators { get; init; } =
        time => new RecordValidatorRegistry().Add(PeerzRecordValidator.Namespace, new PeerzRecordValidator(time));
}
