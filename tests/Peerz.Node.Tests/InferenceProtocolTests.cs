using Peerz.Client.Remote;
using Peerz.Model;
using Peerz.Model.Checkpoints;
using Peerz.Node.Protocols;
using Peerz.Node.Serving;
using Peerz.Protocol.Wire;
using static TorchSharp.torch;

namespace Peerz.Node.Tests;

/// <summary>The provider's protocols over real loopback TCP, driven by the client's own protocol code.</summary>
public sealed class InferenceProtocolTests(TinyModelFixture model) : IClassFixture<TinyModelFixture>
{
    private static readonly RemoteCallOptions Options = new() { RequestTimeout = TimeSpan.FromSeconds(20) };
    private static readonly int[] Tokens = [1, 17, 42, 99, 3, 250, 7];

    [Theory]
    [InlineData(TensorCompression.None, 1e-4)]
    [InlineData(TensorCompression.Float16, 0.05)]
    [InlineData(TensorCompression.BlockwiseInt8, 0.5)]
    public async Task Two_providers_chained_over_tcp_give_the_local_logits(TensorCompression compression, double tolerance)
    {
        using var checkpoint = Checkpoint.Open(model.Directory);
        await using var first = new LoopbackProvider("a", checkpoint, 0, 2);
        await using var second = new LoopbackProvider("b", checkpoint, 2, 4);
        using var local = LocalModel.Load(model.Directory);
        var options = Options with { Compression = compression };

        await using var s1 = await RemoteSpanSession.OpenAsync(await LoopbackProvider.ConnectAsync(first.EndPoint, PeerzProtocolIds.Inference, default), new SpanRequest("tiny", 0, 2), 1, 16, options, null, default);
        await using var s2 = await RemoteSpanSession.OpenAsync(await LoopbackProvider.ConnectAsync(second.EndPoint, PeerzProtocolIds.Inference, default), new SpanRequest("tiny", 2, 4), 1, 16, options, null, default);
        // Prefill 5 tokens, then two single-token steps, as generation does.
        var steps = new[] { Tokens[..5], Tokens[5..6], Tokens[6..7] };
        var outputs = new List<Tensor>();
        foreach (var step in steps)
            outputs.Add(await s2.StepAsync(await s1.StepAsync(local.Head.EmbedSequence(step), default), default));
        var remote = local.Head.Logits(cat(outputs, 1));
        var expected = local.Head.Logits(local.Blocks.Forward(local.Head.EmbedSequence(Tokens)));
        var diff = (remote - expected).abs().max().item<float>();
        // Raw float32 differs from the full recompute only by summation order (cached vs whole
        // sequence; 1e-4 as in the KV-cache test); float16 keeps ~3 significant digits of
        // hidden states of magnitude ~10; int8 blockwise keeps absmax/254 per value.
        Assert.True(diff <= tolerance, $"{compression}: max abs logit diff {diff}");
    }

    [Fact]
    public async Task Requests_over_a_limit_get_actionable_errors_and_other_sessions_go_on()
    {
        using var checkpoint = Checkpoint.Open(model.Directory);
        var limits = new ServingLimits { MaxSessions = 2, MaxTokensPerStep = 8, CacheBytes = 100_000 };
        await using var provider = new LoopbackProvider("a", checkpoint, 0, 4, limits);
        using var local = LocalModel.Load(model.Directory);
        Task<Stream> Connect() => LoopbackProvider.ConnectAsync(provider.EndPoint, PeerzProtocolIds.Inference, default);

        await using var healthy = await RemoteSpanSession.OpenAsync(await Connect(), new SpanRequest("tiny", 0, 4), 1, 32, Options, null, default);
        await healthy.StepAsync(local.Head.EmbedSequence(Tokens[..3]), default);

        async Task<ErrorCode> Refused(Func<Task> action) => (await Assert.ThrowsAsync<PeerzRequestException>(action)).Code;
        Assert.Equal(ErrorCode.WrongSpan, await Refused(() => RemoteSpanSession.OpenAsync(Connect().Result, new SpanRequest("tiny", 2, 6), 1, 8, Options, null, default)));
        Assert.Equal(ErrorCode.WrongSpan, await Refused(() => RemoteSpanSession.OpenAsync(Connect().Result, new SpanRequest("other-model", 0, 4), 1, 8, Options, null, default)));
        Assert.Equal(ErrorCode.Busy, await Refused(() => RemoteSpanSession.OpenAsync(Connect().Result, new SpanRequest("tiny", 0, 4), 1, 200, Options, null, default)));

        await using (var second = await RemoteSpanSession.OpenAsync(await Connect(), new SpanRequest("tiny", 0, 4), 1, 32, Options, null, default))
        {
            Assert.Equal(ErrorCode.Busy, await Refused(() => RemoteSpanSession.OpenAsync(Connect().Result, new SpanRequest("tiny", 0, 4), 1, 8, Options, null, default)));
            Assert.Equal(ErrorCode.LimitExceeded, await Refused(() => second.StepAsync(local.Head.EmbedSequence(Enumerable.Range(1, 9).ToArray()), default)));
            Assert.Equal(ErrorCode.BadRequest, await Refused(() => second.StepAsync(zeros(1, 2, 5), default)));
            // The refused steps changed nothing: the session still accepts position 0.
            await second.StepAsync(local.Head.EmbedSequence(Tokens[..2]), default);
        }

        // The first session was never disturbed.
        var next = await healthy.StepAsync(local.Head.EmbedSequence(Tokens[3..4]), default);
        var expected = local.Blocks.Forward(local.Head.EmbedSequence(Tokens[..4])).narrow(1, 3, 1);
        Assert.True((next - expected).abs().max().item<float>() <= 1e-5);
    }

    [Fact]
    public async Task Forward_and_backward_over_the_wire_equal_local_computation()
    {
        using var checkpoint = Checkpoint.Open(model.Directory);
        await using var provider = new LoopbackProvider("a", checkpoint, 0, 4);
        using var local = LocalModel.Load(model.Directory);
        var hidden = randn([2, 6, checkpoint.Config.HiddenSize], generator: manual_seed(4));
        var gradient = randn([2, 6, checkpoint.Config.HiddenSize], generator: manual_seed(5));
        var span = new SpanRequest("tiny", 1, 3);
        var forward = await RemoteTraining.ForwardAsync(await LoopbackProvider.ConnectAsync(provider.EndPoint, PeerzProtocolIds.Forward, default), span, hidden, null, null, Options, null, default);
        using var backward = await RemoteTraining.BackwardAsync(await LoopbackProvider.ConnectAsync(provider.EndPoint, PeerzProtocolIds.Backward, default), span, hidden, null, null, gradient, Options, null, default);
        using var slice = local.Blocks.Slice(1, 3);
        Assert.True((forward - slice.Forward(hidden)).abs().max().item<float>() <= 1e-6);
        Assert.True((backward.Input - slice.Backward(hidden, gradient)).abs().max().item<float>() <= 1e-6);
    }

    [Fact]
    public async Task Garbage_and_oversized_frames_close_only_that_stream()
    {
        using var checkpoint = Checkpoint.Open(model.Directory);
        await using var provider = new LoopbackProvider("a", checkpoint, 0, 4, new ServingLimits { MaxMessageBytes = 4096 });
        foreach (var garbage in new[] { new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF }, [0x80, 0x80, 0x01], [0x05, 1, 2, 3, 4, 5], [0xFE, 0xFF, 0x7F] })
        {
            await using var stream = await LoopbackProvider.ConnectAsync(provider.EndPoint, PeerzProtocolIds.Inference, default);
            await stream.WriteAsync(garbage);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            var buffer = new byte[64];
            // The provider closes the connection (read returns 0 or the socket resets) rather than hanging.
            try
            {
                while (await stream.ReadAsync(buffer, timeout.Token) > 0)
                {
                }
            }
            catch (IOException)
            {
            }
        }
        using var local = LocalModel.Load(model.Directory);
        await using var session = await RemoteSpanSession.OpenAsync(await LoopbackProvider.ConnectAsync(provider.EndPoint, PeerzProtocolIds.Inference, default), new SpanRequest("tiny", 0, 4), 1, 8, Options, null, default);
        await session.StepAsync(local.Head.EmbedSequence([1, 2]), default);
    }

    [Theory]
    [InlineData(PeerzProtocolIds.Inference)]
    [InlineData(PeerzProtocolIds.Forward)]
    [InlineData(PeerzProtocolIds.Backward)]
    public async Task A_first_request_that_stalls_half_sent_is_dropped_after_the_idle_timeout(string protocol)
    {
        using var checkpoint = Checkpoint.Open(model.Directory);
        await using var provider = new LoopbackProvider("a", checkpoint, 0, 4, new ServingLimits { SessionIdleTimeout = TimeSpan.FromSeconds(1) });
        await using var stream = await LoopbackProvider.ConnectAsync(provider.EndPoint, protocol, default);
        await stream.WriteAsync(new byte[] { 0x64, 1, 2, 3 }); // announces 100 bytes, sends 3, then stalls
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var closed = false;
        try
        {
            closed = await stream.ReadAsync(new byte[16], timeout.Token) == 0;
        }
        catch (IOException)
        {
            closed = true;
        }
        Assert.True(closed, "the provider should close a stalled stream well before 10 s");
    }
}
