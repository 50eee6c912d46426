using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging.Abstractions;
using Peerz.Client;
using Peerz.Client.Remote;
using Peerz.Client.Routing;
using Peerz.Gateway;
using Peerz.Model;
using Peerz.Model.Checkpoints;
using Peerz.Model.Tiny;
using Peerz.Model.Tokenization;

namespace Peerz.Node.Tests;

/// <summary>A gateway reply whose provider is lost mid-stream says so, and still reads as the one-process reply.</summary>
public sealed class RerouteNoticeTests : IDisposable
{
    private readonly string _directory = TempDirectory.Create("reroute-notice");

    [Fact]
    public async Task A_reply_whose_provider_is_lost_carries_a_notice_naming_it_and_the_replay()
    {
        TinyCheckpoint.Write(_directory, TinyModelFixture.TestShape with { Vocab = 512 });
        using var local = LocalModel.Load(_directory);
        var tokenizer = Tokenizer.Load(Path.Combine(_directory, Checkpoint.TokenizerFile));
        var request = new CompletionRequest("Once upon a time", MaxTokens: 24, Temperature: 0, TopP: 1, Seed: null, Stop: []);
        static CompletionDetails NoDetails() => new("-", null);
        var expected = string.Concat(await new PipelineCompletionEngine("tiny", local.Head, local.Pipeline, tokenizer, new HashSet<int>(), NoDetails)
            .CompleteAsync(request, CancellationToken.None).Select(c => c.Text).ToListAsync());

        using var checkpoint = Checkpoint.Open(_directory);
        await using var a = new LoopbackProvider("provider-a", checkpoint, 0, 2);
        await using var b = new LoopbackProvider("provider-b", checkpoint, 2, 4);
        await using var c = new LoopbackProvider("provider-c", checkpoint, 2, 4);
        var swarm = new LoopbackSwarm([a, b, c]);
        var pipeline = new DistributedBlockPipeline(new SpanRequest("tiny", 0, 4), swarm, swarm, new RoutePlanner(swarm.RoundTrip, new Random(1)),
            new RemoteCallOptions(), NullLogger<DistributedBlockPipeline>.Instance);
        var routes = new List<IReadOnlyList<RouteHop>>();
        pipeline.RouteChanged += routes.Add;
        var engine = new PipelineCompletionEngine("tiny", local.Head, pipeline, tokenizer, new HashSet<int>(), NoDetails);

        var chunks = new List<CompletionChunk>();
        await foreach (var chunk in engine.CompleteAsync(request, CancellationToken.None))
        {
            chunks.Add(chunk);
            // Crash the provider of the last blocks while the reply streams.
            if (chunks.Count == 4) new[] { b, c }.Single(p => p.Name == routes[^1][^1].Provider.PeerId).Crash();
        }

        Assert.Equal(expected, string.Concat(chunks.Select(c => c.Text)));
        Assert.Equal(2, routes.Count);
        Assert.All(chunks.Take(4), chunk => Assert.Null(chunk.Details!.Notices));
        var (lost, replacement) = (routes[0][^1], routes[1][^1]);
        var notice = Assert.Single(chunks[^1].Details!.Notices!);
        var match = Regex.Match(notice, $@"^provider {lost.Provider.PeerId[^8..]}\[2,4\) was lost; replayed (\d+) positions on {replacement.Provider.PeerId[^8..]}\[2,4\)$");
        Assert.True(match.Success, notice);
        // The replay holds the prompt and every token generated before the loss, and no more than the whole reply.
        var promptTokens = tokenizer.Encode(request.Prompt, addSpecialTokens: true).Length;
        Assert.InRange(int.Parse(match.Groups[1].Value), promptTokens + 3, promptTokens + request.MaxTokens);
    }

    public void Dispose() => TempDirectory.Delete(_directory);
}
