using System.Diagnostics;
using Peerz.Model;
using Peerz.Model.Checkpoints;
using Peerz.Node.Payments;
using Peerz.Node.Protocols;
using Peerz.Node.Serving;
using Peerz.Protocol.Framing;
using Peerz.Protocol.Payments;
using Peerz.Protocol.Tensors;
using Peerz.Protocol.Wire;

namespace Peerz.Node.Tests;

/// <summary>Issue 22 #6 on a provider over loopback TCP: sessions per peer are bounded and idle time counts from the last accepted step.</summary>
public sealed class SessionLimitsTests(TinyModelFixture model) : IClassFixture<TinyModelFixture>
{
    private static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task One_peer_holds_at_most_its_share_of_sessions_and_gets_a_slot_back_when_one_closes()
    {
        using var checkpoint = Checkpoint.Open(model.Directory);
        await using var provider = new LoopbackProvider("a", checkpoint, 0, 4, new ServingLimits { MaxSessions = 8, MaxSessionsPerPeer = 2 });
        var first = await OpenAsync(provider);
        var second = await OpenAsync(provider);
        var third = await OpenAsync(provider);
        Assert.NotNull(first.Response.Opened);
        Assert.NotNull(second.Response.Opened);
        Assert.Equal(ErrorCode.Busy, third.Response.Error?.Code);
        Assert.Contains("this peer", third.Response.Error?.Message);

        await DelimitedMessages.WriteAsync(first.Stream, new InferenceRequest { Close = new CloseSession() }, CancellationToken.None);
        await first.Stream.DisposeAsync();
        await WaitUntilAsync(() => provider.Served.ActiveSessions == 1);
        var again = await OpenAsync(provider);
        Assert.NotNull(again.Response.Opened);
        foreach (var stream in new[] { second.Stream, third.Stream, again.Stream }) await stream.DisposeAsync();
    }

    [Fact]
    public async Task Refused_steps_do_not_keep_a_session_open()
    {
        using var checkpoint = Checkpoint.Open(model.Directory);
        using var local = LocalModel.Load(model.Directory);
        await using var provider = new LoopbackProvider("a", checkpoint, 0, 4, new ServingLimits { SessionIdleTimeout = IdleTimeout });
        var (stream, opened) = await OpenAsync(provider);
        Assert.NotNull(opened.Opened);

        // The provider stamps the accepted step between these two clocks: one started before the step is sent bounds the
        // close from below, one started when its answer arrives bounds it from above, whatever the machine's load.
        var sent = Stopwatch.StartNew();
        await DelimitedMessages.WriteAsync(stream, new InferenceRequest
        {
            Step = new InferenceStep { Step = 0, Position = 0, Hidden = TensorCodec.Encode(local.Head.EmbedSequence([1, 2, 3]), TensorCompression.None) },
        }, CancellationToken.None);
        Assert.NotNull((await ReadAsync(stream)).Output);
        var accepted = Stopwatch.StartNew();

        // A bad step every 300 ms: each is refused, and the session still closes one idle timeout after the accepted step.
        while (true)
        {
            await DelimitedMessages.WriteAsync(stream, new InferenceRequest { Step = new InferenceStep { Step = 7 } }, CancellationToken.None);
            var reply = await ReadAsync(stream).WaitAsync(TimeSpan.FromSeconds(30));
            if (reply.Error?.Code == ErrorCode.Timeout) break;
            Assert.Equal(ErrorCode.BadRequest, reply.Error?.Code);
            Assert.True(accepted.Elapsed < IdleTimeout * 3, "refused steps kept the session open");
            await Task.Delay(TimeSpan.FromMilliseconds(300));
        }
        Assert.True(sent.Elapsed >= IdleTimeout, $"the session closed {sent.Elapsed} after its accepted step, before the idle timeout {IdleTimeout}");
        Assert.True(accepted.Elapsed <= IdleTimeout + TimeSpan.FromSeconds(2), $"the session stayed open {accepted.Elapsed} after its accepted step");
        await WaitUntilAsync(() => provider.Served.ActiveSessions == 0);
        await stream.DisposeAsync();
    }

    [Fact]
    public void A_payload_a_verifier_could_not_fetch_in_one_answer_is_refused_before_compute()
    {
        ProviderPayments.EnsureFetchable(1 << 20, 1 << 20);
        var error = Assert.Throws<RequestRejectedException>(() => ProviderPayments.EnsureFetchable(PayloadLimits.MaxResponseBytes / 2, PayloadLimits.MaxResponseBytes / 8));
        Assert.Equal(ErrorCode.LimitExceeded, error.Code);
        Assert.Contains("fewer tokens", error.Message);
    }

    [Theory]
    [InlineData(600, 86400, true)]
    [InlineData(3000, 3600, true)]
    [InlineData(3600, 3600, false)]
    [InlineData(3595, 3600, false)] // plus 10 s of lane caching it would be late
    [InlineData(0, 3600, false)] // never redeeming periodically
    public void A_redeem_interval_must_be_shorter_than_the_withdrawal_delay(int redeemSeconds, int delaySeconds, bool allowed)
    {
        void Check() => PaymentMaintenance.EnsureRedeemsInTime(TimeSpan.FromSeconds(redeemSeconds), TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(delaySeconds));
        if (allowed) Check();
        else Assert.Contains("withdrawal delay", Assert.Throws<ProviderNotEligibleException>(Check).Message);
    }

    private static async Task<(Stream Stream, InferenceResponse Response)> OpenAsync(LoopbackProvider provider)
    {
        var stream = await LoopbackProvider.ConnectAsync(provider.EndPoint, PeerzProtocolIds.Inference, CancellationToken.None);
        await DelimitedMessages.WriteAsync(stream, new InferenceRequest { Open = new OpenSession { ModelId = "tiny", BlockStart = 0, BlockEnd = 4, BatchSize = 1, MaxLength = 16 } },
            CancellationToken.None);
        return (stream, await ReadAsync(stream));
    }

    private static async Task<InferenceResponse> ReadAsync(Stream stream) =>
        await DelimitedMessages.ReadAsync(stream, InferenceResponse.Parser, 1 << 20, CancellationToken.None) ?? throw new EndOfStreamException();

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(10), "timed out waiting");
            await Task.Delay(50);
        }
    }
}
