using Peerz.Protocol.Framing;
using Peerz.Protocol.Wire;

namespace Peerz.Node.Protocols;

/// <summary>/peerz/info/1.0.0: what this provider serves and how loaded it is.</summary>
public sealed class InfoProtocol(Func<ServerInfo> describe)
{
    public async Task HandleAsync(Stream stream, CancellationToken cancellationToken)
    {
        await DelimitedMessages.ReadAsync(stream, InfoRequest.Parser, 1024, cancellationToken);
        await DelimitedMessages.WriteAsync(stream, describe(), cancellationToken);
    }
}
