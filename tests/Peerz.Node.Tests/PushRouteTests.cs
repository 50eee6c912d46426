using Microsoft.Extensions.Logging.Abstractions;
using Peerz.Client;
using Peerz.Client.Remote;
using Peerz.Client.Routing;
using Peerz.Model;
using Peerz.Model.Checkpoints;
using Peerz.Model.Generation;
using Peerz.Node.Protocols;
using Peerz.Node.Push;
using Peerz.P2P;
using Peerz.Protocol.Framing;
using Peerz.Protocol.Tensors;
using Peerz.Protocol.Wire;

namespace Peerz.Node.Tests;

/// <summary>Server-to-server push between real libp2p providers on 127.0.0.1: same tokens, fault tolerance, refusals.</summary>
public sealed class PushRouteTests(TinyModelFixture model) : IClassFixture<TinyModelFixture>
{
    private static readonly int[] Prompt = [1, 17, 42, 99];
    private static readonly GenerationOptions Greedy = new() { MaxNewTokens = 16 };

    private static DistributedBlockPipeline Pipeline(Libp2pProviders providers, PushRouting? push) => new(
        new SpanRequest("tiny", 0, 4), providers, providers, new RoutePlanner(providers.RoundTrip, new Random(1)),
        new RemoteCallOptions { RequestTimeout = TimeSpan.FromSeconds(20) }, NullLogger<DistributedBlockPipeline>.Instance, push: push);

    private async Task<List<int>> LocalTokensAsync()
    {
        using var local = LocalModel.Load(model.Directory);
        return await local.CreateGenerator().GenerateAsync(Prompt, Greedy).ToListAsync();
    }

    private async Task<List<int>> GenerateAsync(IBlockPipeline pipeline, Func<int, Task>? afterToken = null)
    {
        using var local = LocalModel.Load(model.Directory);
        var generated = new List<int>();
        await foreach (var token in new TextGenerator(local.Head, pipeline).GenerateAsync(Prompt, Greedy))
        {
            generated.Add(token);
            if (afterToken is not null) await afterToken(generated.Count);
        }
        return generated;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Push_and_hop_by_hop_routes_generate_the_tokens_of_one_process(bool middleRefusesPush)
    {
        var expected = await LocalTokensAsync();
        using var checkpoint = Checkpoint.Open(model.Directory);
        await using var providers = await Libp2pProviders.StartAsync(checkpoint);
        var a = await providers.AddAsync(0, 1);
        var b = await providers.AddAsync(1, 3, push: new PushOptions { Enabled = !middleRefusesPush });
        var c = await providers.AddAsync(3, 4);

        var pushRoutes = new List<IReadOnlyList<RouteHop>>();
        var pushed = Pipeline(providers, new PushRouting());
        pushed.RouteChanged += pushRoutes.Add;
        Assert.Equal(expected, await GenerateAsync(Pipeline(providers, null)));
        Assert.Equal(0, a.Push.Accepted + b.Push.Accepted + c.Push.Accepted);
        Assert.Equal(expected, await GenerateAsync(pushed));

        Assert.Equal([a.PeerId.ToString(), b.PeerId.ToString(), c.PeerId.ToString()], pushRoutes.Single().Select(h => h.Provider.PeerId));
        // Every step (prompt and each new token but the last) reached b and c by push, unless b takes no part in it.
        var steps = expected.Count;
        Assert.Equal(middleRefusesPush ? 0 : steps, b.Push.Accepted);
        Assert.Equal(middleRefusesPush ? 0 : steps, c.Push.Accepted);
        Assert.Equal(0, a.Push.Accepted);
    }

    [Fact]
    public async Task A_provider_killed_mid_generation_on_a_push_route_is_replaced_with_identical_tokens()
    {
        var expected = await LocalTokensAsync();
        using var checkpoint = Checkpoint.Open(model.Directory);
        await using var providers = await Libp2pProviders.StartAsync(checkpoint);
        await providers.AddAsync(0, 1);
        var b = await providers.AddAsync(1, 3);
        var c = await providers.AddAsync(3, 4);
        var d = await providers.AddAsync(1, 4, listed: false);
        var pipeline = Pipeline(providers, new PushRouting());
        var routes = new List<IReadOnlyList<RouteHop>>();
        pipeline.RouteChanged += routes.Add;

        var generated = await GenerateAsync(pipeline, async count =>
        {
            if (count != 6) return;
            providers.List(d);
            await Libp2pProviders.KillAsync(b);
        });

        Assert.Equal(expected, generated);
        Assert.Equal(2, routes.Count);
        Assert.Equal([(0, 1), (1, 3), (3, 4)], routes[1].Select(h => (h.Start, h.End)));
        Assert.Equal(d.PeerId.ToString(), routes[1][1].Provider.PeerId);
        // After the repair the route is linked again: d takes pushes from the first hop and pushes on to c.
        Assert.True(d.Push.Accepted > 0, "the replacement never received a push");
        Assert.True(c.Push.Accepted > 6, "the last hop was not pushed to after the repair");
    }

    [Fact]
    public async Task Pushes_are_refused_from_other_peers_for_unknown_sessions_and_past_the_buffer_and_only_paid_steps_compute()
    {
        using var checkpoint = Checkpoint.Open(model.Directory);
        await using var providers = await Libp2pProviders.StartAsync(checkpoint);
        var b = await providers.AddAsync(2, 4);
        await using var previous = new Libp2pHost(new Libp2pHostOptions { Identity = Identity.Generate(), ListenAddresses = [] }, NullLoggerFactory.Instance);
        await previous.StartAsync(CancellationToken.None);
        using var local = LocalModel.Load(model.Directory);
        var record = Libp2pProviders.Record(b);

        // The client opens a session on b whose previous hop is `previous`.
        await using var session = await RemoteSpanSession.OpenAsync(await providers.OpenStreamAsync(record, PeerzProtocolIds.Inference, default), new SpanRequest("tiny", 2, 4), 1, 16,
            new RemoteCallOptions { RequestTimeout = TimeSpan.FromSeconds(20) }, null, new PushLinks(null, previous.PeerId.ToString()), null, null, default);
        using var embedded = local.Head.EmbedSequence(Prompt);
        using var input = local.Blocks.Slice(0, 2).Forward(embedded);
        PushStep Push(uint position, string? sessionId = null) =>
            new() { SessionId = sessionId ?? session.SessionId, Position = position, Hidden = TensorCodec.Encode(input, TensorCompression.None) };

        // Someone else (here: the client's own host) is refused, whatever it pushes.
        await using (var stranger = await providers.Client.OpenStreamAsync(b.PeerId, PeerzProtocolIds.Push, default))
            Assert.Equal(ErrorCode.PermissionDenied, await PushAsync(stranger, Push(0)));

        previous.AddAddresses(b.PeerId, record.Addresses.Select(Multiaddr.Parse));
        await using var stream = await previous.OpenStreamAsync(b.PeerId, PeerzProtocolIds.Push, default);
        Assert.Equal(ErrorCode.NotFound, await PushAsync(stream, Push(0, new string('a', 64))));
        Assert.Equal(ErrorCode.Unspecified, await PushAsync(stream, Push(0)));
        Assert.Equal(ErrorCode.BadRequest, await PushAsync(stream, Push(0)));
        Assert.Equal(ErrorCode.Unspecified, await PushAsync(stream, Push(4)));
        // Two steps are buffered at most (the default); a third is refused and buffers nothing.
        Assert.Equal(ErrorCode.LimitExceeded, await PushAsync(stream, Push(8)));
        Assert.Equal(2, b.Push.Accepted);
        // Nothing was computed for the pushes: the session is still at position 0 until the client sends its step.
        Assert.Equal(0, session.Position);

        await using var pending = await session.SendAsync(null, 1, Prompt.Length, null, null, default);
        var (_, output) = await pending.ReceiveAsync(TensorCodec.Encode(input, TensorCompression.None), input.dtype, default);
        using var expected = local.Blocks.Forward(embedded);
        Assert.True((output - expected).abs().max().item<float>() <= 1e-4, "the pushed input was not what the step computed on");
        // The step at position 0 is computed: a push for it is stale now.
        Assert.Equal(ErrorCode.BadRequest, await PushAsync(stream, Push(0)));
    }

    private static async Task<ErrorCode> PushAsync(Stream stream, PushStep push)
    {
        await DelimitedMessages.WriteAsync(stream, push, default);
        var ack = await DelimitedMessages.ReadAsync(stream, PushAck.Parser, 1 << 20, default);
        Assert.NotNull(ack);
        return ack.Error?.Code ?? ErrorCode.Unspecified;
    }
}
