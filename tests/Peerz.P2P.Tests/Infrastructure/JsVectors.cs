using System.Text.Json;
using System.Text.Json.Nodes;
using Peerz.Testing;

namespace Peerz.P2P.Tests.Infrastructure;

/// <summary>Runs js/vectors.mjs (js-libp2p's @libp2p/crypto, @libp2p/peer-id, @multiformats/multiaddr) for reference values.</summary>
internal static class JsVectors
{
    public static async Task<JsonObject> ComputeAsync(byte[] seed, byte[] message, string[] multiaddrs)
    {
        var input = JsonSerializer.Serialize(new { seed = Convert.ToHexStringLower(seed), message = Convert.ToHexStringLower(message), multiaddrs });
        var run = await NodeScript.RunAsync(NodeScript.TestScript("Peerz.P2P.Tests", "vectors.mjs"), [input], TimeSpan.FromSeconds(30));
        Assert.True(run.ExitCode == 0, run.Error);
        return JsonNode.Parse(run.Output)!.AsObject();
    }
}
