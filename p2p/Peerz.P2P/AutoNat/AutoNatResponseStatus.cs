namespace Peerz.P2P.AutoNat;

/// <summary>DialResponse.status of AutoNAT v1 (libp2p/specs autonat/autonat-v1.md).</summary>
public enum AutoNatResponseStatus
{
    /// <summary>The server dialled one of the addresses back; <see cref="AutoNatDialResponse.Address"/> says which.</summary>
    Ok = 0,

    /// <summary>The server tried and every dial-back failed: the addresses are not reachable from outside.</summary>
    DialError = 100,

    /// <summary>The server did not dial (no eligible address, rate limit, busy); says nothing about reachability.</summary>
    DialRefused = 101,

    BadRequest = 200,

    InternalError = 300,
}
