namespace Peerz.Node.Protocols;

public static class PeerzProtocolIds
{
    public const string Info = "/peerz/info/1.0.0";
    public const string Inference = "/peerz/inference/1.0.0";
    public const string Forward = "/peerz/forward/1.0.0";
    public const string Backward = "/peerz/backward/1.0.0";
    public const string Payload = "/peerz/payload/1.0.0";
    public const string Push = "/peerz/push/1.0.0";
}
