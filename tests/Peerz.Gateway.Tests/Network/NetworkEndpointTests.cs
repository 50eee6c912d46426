using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Peerz.Discovery;
using Peerz.Gateway.Network;
using Peerz.Protocol.Wire;

namespace Peerz.Gateway.Tests.Network;

/// <summary>
/// GET /v1/network over a real socket with a scripted swarm and registry: the JSON's shape, states, redundancy and gaps;
/// the survey cache; and the bounds on DHT, ping and chain reads (a hung read becomes an error field, never a hung request).
/// </summary>
public sealed class NetworkEndpointTests
{
    private const string AccountA = "0x00000000000000000000000000000000000000a1";
    private const string AccountB = "0x00000000000000000000000000000000000000b2";
    private const string AccountC = "0x00000000000000000000000000000000000000c3";

    private static readonly ProviderRecord[] Announced =
    [
        Record("peerA", AccountA, 0, 3, ServerState.Online, Reachability.Public),
        Record("peerB", AccountB, 2, 5, ServerState.Online, Reachability.Private),
        Record("peerC", AccountC, 5, 6, ServerState.Online, Reachability.Public),
        Record("peerD", "", 6, 8, ServerState.Online, Reachability.Unknown),
        Record("peerE", "", 0, 8, ServerState.Joining, Reachability.Unknown),
    ];

    private static ProviderRecord Record(string peer, string account, int start, int end, ServerState state, Reachability reachability) => new()
    {
        PeerId = peer,
        ModelId = "tiny",
        Start = start,
        End = end,
        State = state,
        Reachability = reachability,
        Account = account,
        Throughput = 12.5,
        PricePerToken = "7",
    };

    private static NetworkView View(FakeSwarm swarm, IStakeReader? stakes, TimeProvider? time = null, NetworkViewOptions? options = null) =>
        new(swarm, [new ModelShape("tiny", 10)], stakes, Options.Create(options ?? new NetworkViewOptions { PingTimeout = TimeSpan.FromMilliseconds(300) }),
            time ?? TimeProvider.System, NullLogger<NetworkView>.Instance);

    [Fact]
    public async Task The_map_lists_each_provider_with_its_state_stake_and_latency_and_the_blocks_redundancy_and_gaps()
    {
        var swarm = new FakeSwarm(Announced);
        swarm.Pings["peerA"] = TimeSpan.FromMilliseconds(5);
        swarm.Pings["peerB"] = TimeSpan.FromMilliseconds(5);
        swarm.Pings["peerC"] = TimeSpan.FromMilliseconds(5);
        swarm.Pings["peerE"] = TimeSpan.FromMilliseconds(5);
        swarm.Relayed.Add("peerB");
        var stakes = new FakeStakes(1234, new Dictionary<string, StakeEntry>
        {
            [AccountA] = new("100000000000000000000", false, true),
            [AccountB] = new("250000000000000000000", false, true),
            [AccountC] = new("90000000000000000000", true, false),
        });
        await using var gateway = await LocalGateway.StartAsync(View(swarm, stakes));

        using var json = JsonDocument.Parse(await gateway.Http.GetStringAsync("/v1/network"));
        var root = json.RootElement;
        Assert.True(root.GetProperty("swarm").GetBoolean());
        Assert.Equal(1234UL, root.GetProperty("chain_block").GetUInt64());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("chain_error").ValueKind);
        Assert.True(DateTimeOffset.UtcNow - root.GetProperty("read_at").GetDateTimeOffset() < TimeSpan.FromMinutes(1));
        var model = root.GetProperty("models").EnumerateArray().Single();
        Assert.Equal("tiny", model.GetProperty("id").GetString());
        Assert.Equal(10, model.GetProperty("blocks").GetInt32());

        var providers = model.GetProperty("providers").EnumerateArray().ToDictionary(p => p.GetProperty("peer_id").GetString()!);
        Assert.Equal(["peerA", "peerE", "peerB", "peerC", "peerD"], model.GetProperty("providers").EnumerateArray().Select(p => p.GetProperty("peer_id").GetString()));
        Assert.Equal("online", providers["peerA"].GetProperty("state").GetString());
        Assert.Equal("public", providers["peerA"].GetProperty("reachability").GetString());
        Assert.Equal("100000000000000000000", providers["peerA"].GetProperty("stake").GetString());
        Assert.False(providers["peerA"].GetProperty("jailed").GetBoolean());
        Assert.InRange(providers["peerA"].GetProperty("latency_ms").GetDouble(), 5, 1000);
        Assert.Equal(12.5, providers["peerA"].GetProperty("throughput").GetDouble());
        Assert.Equal("7", providers["peerA"].GetProperty("price_per_token").GetString());
        Assert.Equal(0, providers["peerA"].GetProperty("start").GetInt32());
        Assert.Equal(3, providers["peerA"].GetProperty("end").GetInt32());
        Assert.Equal(AccountA, providers["peerA"].GetProperty("account").GetString());
        Assert.Equal("relayed", providers["peerB"].GetProperty("state").GetString());
        Assert.Equal("private", providers["peerB"].GetProperty("reachability").GetString());
        Assert.Equal("jailed", providers["peerC"].GetProperty("state").GetString());
        Assert.True(providers["peerC"].GetProperty("jailed").GetBoolean());
        // No ping answer within the bound: unreachable, with the reason; no account: no stake, but the chain was read.
        Assert.Equal("unreachable", providers["peerD"].GetProperty("state").GetString());
        Assert.Equal(JsonValueKind.Null, providers["peerD"].GetProperty("latency_ms").ValueKind);
        Assert.Contains("no ping answer within 0.3 s", providers["peerD"].GetProperty("error").GetString());
        Assert.Equal(JsonValueKind.Null, providers["peerD"].GetProperty("stake").ValueKind);
        Assert.False(providers["peerD"].GetProperty("jailed").GetBoolean());
        Assert.Equal("joining", providers["peerE"].GetProperty("state").GetString());
        Assert.Equal("joining", providers["peerE"].GetProperty("announced").GetString());
        // Only the accounts announced (and well-formed) were read from the chain.
        Assert.Equal([AccountA, AccountB, AccountC], stakes.Asked!.Order());

        // Online and relayed spans count; jailed, unreachable and joining do not.
        Assert.Equal([1, 1, 2, 1, 1, 0, 0, 0, 0, 0], model.GetProperty("redundancy").EnumerateArray().Select(r => r.GetInt32()));
        Assert.Equal([(5, 10)], model.GetProperty("gaps").EnumerateArray().Select(g => (g.GetProperty("start").GetInt32(), g.GetProperty("end").GetInt32())));
    }

    [Fact]
    public async Task Models_found_in_the_DHT_are_mapped_beside_the_gateways_own_up_to_the_bound()
    {
        var swarm = new FakeSwarm(
        [
            Record("peerA", AccountA, 0, 10, ServerState.Online, Reachability.Public),
            Record("peerF", "", 0, 2, ServerState.Online, Reachability.Public) with { ModelId = "alpha", ModelBlocks = 6 },
            Record("peerG", "", 1, 3, ServerState.Online, Reachability.Public) with { ModelId = "beta" },
            Record("peerH", "", 0, 1, ServerState.Online, Reachability.Public) with { ModelId = "gamma", ModelBlocks = 1_000_000 },
            Record("peerI", "", 0, 1, ServerState.Online, Reachability.Public) with { ModelId = new string('x', NetworkViewOptions.MaxModelIdLength + 1) },
        ]);
        foreach (var peer in new[] { "peerA", "peerF", "peerG", "peerH" }) swarm.Pings[peer] = TimeSpan.FromMilliseconds(1);
        await using var gateway = await LocalGateway.StartAsync(View(swarm, null, options: new NetworkViewOptions { MaxModels = 3 }));

        using var json = JsonDocument.Parse(await gateway.Http.GetStringAsync("/v1/network"));
        var models = json.RootElement.GetProperty("models").EnumerateArray().ToList();
        // The gateway's own model first, then those found, by id; an overlong id is ignored.
        Assert.Equal(["tiny", "alpha", "beta", "gamma"], models.Select(m => m.GetProperty("id").GetString()));
        // Depth as announced; without one, at least the largest span end; never beyond the drawing bound.
        Assert.Equal([10, 6, 3, NetworkViewOptions.MaxBlocks], models.Select(m => m.GetProperty("blocks").GetInt32()));
        Assert.Equal([(2, 6)], models[1].GetProperty("gaps").EnumerateArray().Select(g => (g.GetProperty("start").GetInt32(), g.GetProperty("end").GetInt32())));
        Assert.Equal("peerG", Assert.Single(models[2].GetProperty("providers").EnumerateArray()).GetProperty("peer_id").GetString());
    }

    [Fact]
    public async Task No_more_found_models_are_kept_than_the_bound()
    {
        var swarm = new FakeSwarm(
        [
            Record("peerF", "", 0, 2, ServerState.Online, Reachability.Public) with { ModelId = "alpha" },
            Record("peerG", "", 0, 2, ServerState.Online, Reachability.Public) with { ModelId = "beta" },
        ]);
        await using var gateway = await LocalGateway.StartAsync(View(swarm, null, options: new NetworkViewOptions { MaxModels = 1, PingTimeout = TimeSpan.FromMilliseconds(100) }));
        using var json = JsonDocument.Parse(await gateway.Http.GetStringAsync("/v1/network"));
        Assert.Equal(2, json.RootElement.GetProperty("models").GetArrayLength());
    }

    [Fact]
    public async Task The_page_is_served_and_a_local_gateway_maps_no_swarm()
    {
        await using var gateway = await LocalGateway.StartAsync();
        var page = await gateway.Http.GetAsync("/network");
        Assert.Equal("text/html; charset=utf-8", page.Content.Headers.ContentType!.ToString());
        Assert.Contains("/v1/network", await page.Content.ReadAsStringAsync());
        using var json = JsonDocument.Parse(await gateway.Http.GetStringAsync("/v1/network"));
        Assert.False(json.RootElement.GetProperty("swarm").GetBoolean());
        Assert.Empty(json.RootElement.GetProperty("models").EnumerateArray());
        Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("chain_block").ValueKind);
        using var economics = JsonDocument.Parse(await gateway.Http.GetStringAsync("/v1/economics"));
        Assert.False(economics.RootElement.GetProperty("chain").GetBoolean());
        Assert.Equal(JsonValueKind.Null, economics.RootElement.GetProperty("epoch").ValueKind);
        Assert.Equal(JsonValueKind.Null, economics.RootElement.GetProperty("error").ValueKind);
    }

    [Fact]
    public async Task One_survey_serves_every_caller_until_it_is_older_than_the_cache_period()
    {
        var swarm = new FakeSwarm(Announced[..1]);
        swarm.Pings["peerA"] = TimeSpan.FromMilliseconds(50);
        var time = new FakeTimeProvider();
        var view = View(swarm, null, time, new NetworkViewOptions { CacheFor = TimeSpan.FromSeconds(3) });

        // Concurrent callers share the running survey.
        var first = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => view.GetAsync(CancellationToken.None)));
        Assert.Equal(1, swarm.Surveys);
        Assert.All(first, snapshot => Assert.Same(first[0], snapshot));

        time.Advance(TimeSpan.FromSeconds(2.9));
        Assert.Same(first[0], await view.GetAsync(CancellationToken.None));
        Assert.Equal(1, swarm.Surveys);

        time.Advance(TimeSpan.FromSeconds(0.2));
        var second = await view.GetAsync(CancellationToken.None);
        Assert.NotSame(first[0], second);
        Assert.Equal(2, swarm.Surveys);
    }

    [Fact]
    public async Task A_hung_dht_chain_or_ping_is_cut_at_its_bound_and_reported()
    {
        var options = new NetworkViewOptions { DhtTimeout = TimeSpan.FromMilliseconds(400), ChainTimeout = TimeSpan.FromMilliseconds(400), PingTimeout = TimeSpan.FromMilliseconds(400) };
        var stakes = new FakeStakes(1, new Dictionary<string, StakeEntry>()) { Hangs = true };
        var swarm = new FakeSwarm(Announced[..1]);
        // The fakes hang until cancelled: an answer at all (within the test's 5 s) means the bound cut them, and the
        // reported errors name which one; no wall-clock assertion, which a loaded CI machine would make flaky.
        var snapshot = await View(swarm, stakes, options: options).GetAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Null(snapshot.ChainBlock);
        Assert.Equal("the chain did not answer within 0.4 s", snapshot.ChainError);
        var provider = snapshot.Models.Single().Providers.Single();
        Assert.Equal("unreachable", provider.State);
        Assert.Null(provider.Jailed);
        Assert.Equal([0, 0, 0, 0, 0, 0, 0, 0, 0, 0], snapshot.Models.Single().Redundancy);

        var hungDht = new FakeSwarm(Announced) { DhtHangs = true };
        snapshot = await View(hungDht, null, options: options).GetAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal("the DHT lookup took longer than 0.4 s", snapshot.DhtError);
        Assert.Equal([new BlockRange(0, 10)], snapshot.Models.Single().Gaps);
    }
}
