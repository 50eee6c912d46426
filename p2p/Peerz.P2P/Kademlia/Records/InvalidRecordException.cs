namespace Peerz.P2P.Kademlia.Records;

/// <summary>A DHT record failed its namespace's validation (bad signature, expired, too large, unknown namespace).</summary>
public sealed class InvalidRecordException(string message) : Exception(message);
