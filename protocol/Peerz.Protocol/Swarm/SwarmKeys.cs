using System.Text;
using Peerz.P2P;

namespace Peerz.Protocol.Swarm;

/// <summary>
/// DHT keys of a Peerz swarm. Providers ADD_PROVIDER themselves under their model's key (one key
/// per model; a key holds up to KademliaOptions.MaxProvidersPerKey providers) and PUT a signed
/// announcement under their server key.
/// </summary>
public static class SwarmKeys
{
    public static byte[] Model(string modelId) => Encoding.UTF8.GetBytes($"/peerz/model/{modelId}");

    public static byte[] Server(PeerId peer) => Encoding.UTF8.GetBytes($"/peerz/server/{peer}");
}
