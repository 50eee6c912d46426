namespace Peerz.P2P.Host;

/// <summary>
/// Opens the raw byte stream behind a /p2p-circuit address (circuit relay v2 hop CONNECT). The host runs the
/// same noise + yamux upgrade over it as over TCP.
/// </summary>
internal interface ICircuitDialer
{
    Task<Stream> DialAsync(Multiaddr circuitAddress, CancellationToken ct);
}
