namespace Peerz.P2P.Relay;

/// <summary>
/// A slot held on a relay: until when, the /p2p-circuit addresses through which peers reach us there (already
/// advertised by the host), and the limits the relay puts on each relayed connection.
/// </summary>
public sealed record RelayReservation(PeerId Relay, DateTimeOffset Expires, IReadOnlyList<Multiaddr> CircuitAddresses, RelayLimit? Limit);
