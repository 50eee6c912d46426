using Peerz.Protocol.Wire;

namespace Peerz.Client.Remote;

/// <summary>A provider refused or failed a request; <see cref="Code"/> says whether to retry, reroute or give up.</summary>
public sealed class PeerzRequestException(ErrorCode code, string message) : Exception($"{code}: {message}")
{
    public ErrorCode Code { get; } = code;

    public static PeerzRequestException From(PeerzError error) => new(error.Code, error.Message);
}
