using Google.Protobuf;
using Peerz.P2P;
using Peerz.P2P.Kademlia.Records;
using Peerz.Protocol.Wire;

namespace Peerz.Protocol.Swarm;

/// <summary>Signed provider announcements: what a provider publishes and what a client will believe.</summary>
public static class ServerRecords
{
    public static byte[] Sign(Identity identity, ServerAnnouncement announcement, ulong sequence, DateTimeOffset expiresAt) =>
        PeerzSignedRecord.Create(identity, SwarmKeys.Server(identity.PeerId), announcement.ToByteArray(), sequence, expiresAt).Encode();

    /// <summary>
    /// The announcement of <paramref name="peer"/>, or null when the record is malformed, expired,
    /// badly signed, or signed by anyone but that peer (the DHT validator checks signatures, not
    /// who may write a key, so the binding of key to signer is checked here).
    /// </summary>
    public static ServerAnnouncement? Read(PeerId peer, byte[] value, DateTimeOffset now)
    {
        try
        {
            var record = PeerzSignedRecord.Decode(value);
            if (record.ExpiresAt <= now || !record.VerifySignature(SwarmKeys.Server(peer)) || record.Publisher != peer)
                return null;
            return ServerAnnouncement.Parser.ParseFrom(record.Payload);
        }
        catch (Exception e) when (e is InvalidRecordException or InvalidProtocolBufferException or FormatException)
        {
            return null;
        }
    }
}
