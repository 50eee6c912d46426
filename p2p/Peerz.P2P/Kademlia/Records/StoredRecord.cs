namespace Peerz.P2P.Kademlia.Records;

/// <summary>A record held by this node; <paramref name="Published"/> marks our own, which we republish.</summary>
public sealed record StoredRecord(byte[] Key, byte[] Value, DateTimeOffset ReceivedAt, DateTimeOffset ExpiresAt, bool Published);
