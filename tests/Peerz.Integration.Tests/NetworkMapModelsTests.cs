using System.Diagnostics;
using System.Text.Json;
using Peerz.Model.Tiny;
using Peerz.Testing.Processes;

namespace Peerz.Integration.Tests;

/// <summary>
/// The network map lists every model announced in the DHT, not only the gateway's own: two `peerz-provider` processes
/// announce different model ids (the same tiny checkpoint under two names), `peerz serve` runs one of them, and GET
/// /v1/network must map both, the other with the depth its provider announces and the blocks nobody serves as a gap.
/// </summary>
[Trait("Category", "Process")]
public sealed class NetworkMapModelsTests : IDisposable
{
    private readonly string _home = TempDirectory.Create("network-models");
    private readonly List<PeerzProcess> _processes = [];

    [Fact]
    public async Task The_map_lists_a_model_the_gateway_does_not_run_with_its_announced_depth_and_gaps()
    {
        var model = Path.Combine(_home, "tiny");
        TinyCheckpoint.Write(model, TinyModelFixture.TestShape with { Vocab = 512 });
        var (own, ownAddress) = ProviderProcess.Start(model, Path.Combine(_home, "a.key"), "0:4");
        _processes.Add(own);
        var other = PeerzProcess.Start(PeerzProcess.AssemblyPath("node/Peerz.Provider", "peerz-provider"),
            ["--model", model, "--model-id", "tiny-twin", "--blocks", "0:2", "--identity", Path.Combine(_home, "b.key"), "--bootstrap", ownAddress.ToString()]);
        _processes.Add(other);
        other.WaitForLine("ready ", TimeSpan.FromSeconds(60));
        var (gateway, url) = GatewayProcess.Start("--model", model, "--model-id", "tiny", "--bootstrap", ownAddress.ToString(), "--url", "http://127.0.0.1:0");
        _processes.Add(gateway);

        // Each survey samples the DHT once; in a swarm this small one walk meets both providers.
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(15) };
        var started = Stopwatch.GetTimestamp();
        JsonElement[] models;
        do
        {
            using var json = JsonDocument.Parse(await http.GetStringAsync(url + "/v1/network"));
            models = [.. json.RootElement.GetProperty("models").EnumerateArray().Select(m => m.Clone())];
            if (models.Length == 2 || Stopwatch.GetElapsedTime(started) > TimeSpan.FromSeconds(60)) break;
            await Task.Delay(500);
        }
        while (true);

        Assert.Equal(["tiny", "tiny-twin"], models.Select(m => m.GetProperty("id").GetString()));
        Assert.Equal(4, models[0].GetProperty("blocks").GetInt32());
        Assert.Equal([1, 1, 1, 1], models[0].GetProperty("redundancy").EnumerateArray().Select(r => r.GetInt32()));
        var twin = models[1];
        Assert.Equal(4, twin.GetProperty("blocks").GetInt32());
        var provider = Assert.Single(twin.GetProperty("providers").EnumerateArray());
        Assert.Equal((0, 2, "online"), (provider.GetProperty("start").GetInt32(), provider.GetProperty("end").GetInt32(), provider.GetProperty("state").GetString()));
        Assert.Equal([1, 1, 0, 0], twin.GetProperty("redundancy").EnumerateArray().Select(r => r.GetInt32()));
        Assert.Equal([(2, 4)], twin.GetProperty("gaps").EnumerateArray().Select(g => (g.GetProperty("start").GetInt32(), g.GetProperty("end").GetInt32())));
    }

    public void Dispose()
    {
        foreach (var process in Enumerable.Reverse(_processes)) process.Dispose();
        TempDirectory.Delete(_home);
    }
}
