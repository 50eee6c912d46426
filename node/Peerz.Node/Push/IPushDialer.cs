namespace Peerz.Node.Push;

/// <summary>Opens a <c>/peerz/push/1.0.0</c> stream to another provider, authenticated as the named peer.</summary>
public interface IPushDialer
{
    Task<Stream> OpenAsync(string peerId, IReadOnlyList<string> addresses, CancellationToken cancellationToken);
}
