using Peerz.Protocol.Wire;

namespace Peerz.Node.Protocols;

/// <summary>A request the provider refuses, with the code that tells the client what to do next.</summary>
public sealed class RequestRejectedException(ErrorCode code, string message) : Exception(message)
{
    public ErrorCode Code { get; } = code;

    public PeerzError ToWire() => new() { Code = Code, Message = Message };
}
