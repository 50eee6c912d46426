using Microsoft.Extensions.Logging.Abstractions;
using Peerz.Client;
using Peerz.Client.Remote;
using Peerz.Client.Routing;
using Peerz.Client.Training;
using Peerz.Model;
using Peerz.Model.Adapters;
using Peerz.Model.Checkpoints;
using Peerz.Model.Generation;

namespace Peerz.Node.Tests;

/// <summary>
/// Speculative decoding through real libp2p providers on 127.0.0.1: every verification step rolls the providers' KV
/// caches back past the rejected drafts, and greedy output must still be that of plain greedy generation in one process.
/// </summary>
public sealed class SpeculativeSwarmTests(TinyModelFixture model) : IClassFixture<TinyModelFixture>
{
    private const int DraftTokens = 4;
    private static readonly GenerationOptions Greedy = new() { MaxNewTokens = 24 };

    /// <summary>Prompts of varied length and content; some repeat themselves so the n-gram drafter proposes from the start.</summary>
    private static readonly int[][] Prompts =
    [
        [1, 17, 42, 99],
        [5],
        [3, 3, 3, 3, 3, 3],
        [10, 20, 30, 10, 20, 30, 10, 20],
        [7, 150, 2, 88, 31, 64, 200, 9, 11, 250],
        [42, 42, 17, 1, 99, 42, 17],
        [120, 121, 122, 123],
        [255, 0, 255, 0, 255],
    ];

    private static DistributedBlockPipeline Pipeline(Libp2pProviders providers, PushRouting? push) => new(
        new SpanRequest("tiny", 0, 4), providers, providers, new RoutePlanner(providers.RoundTrip, new Random(1)),
        new RemoteCallOptions { RequestTimeout = TimeSpan.FromSeconds(20) }, NullLogger<DistributedBlockPipeline>.Instance, push: push);

    private static async Task<List<int>> LocalTokensAsync(LocalModel local, int[] prompt) =>
        await local.CreateGenerator().GenerateAsync(prompt, Greedy).ToListAsync();

    private static async Task<List<int>> SpeculativeAsync(LocalModel local, IBlockPipeline pipeline, int[] prompt, SpeculativeStatistics totals, Func<int, SpeculativeStatistics, Task>? afterToken = null)
    {
        var generator = new SpeculativeGenerator(local.Head, pipeline, new NGramDrafter(), DraftTokens);
        var generated = new List<int>();
        await foreach (var token in generator.GenerateAsync(prompt, Greedy))
        {
            generated.Add(token);
            if (afterToken is not null) await afterToken(generated.Count, generator.Statistics);
        }
        totals.Add(generator.Statistics);
        return generated;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Speculative_greedy_output_through_three_providers_equals_plain_greedy_in_one_process(bool push)
    {
        using var local = LocalModel.Load(model.Directory);
        using var checkpoint = Checkpoint.Open(model.Directory);
        await using var providers = await Libp2pProviders.StartAsync(checkpoint);
        var a = await providers.AddAsync(0, 1);
        var b = await providers.AddAsync(1, 3);
        var c = await providers.AddAsync(3, 4);
        var pipeline = Pipeline(providers, push ? new PushRouting() : null);
        var totals = new SpeculativeStatistics();

        foreach (var prompt in Prompts)
            Assert.Equal(await LocalTokensAsync(local, prompt), await SpeculativeAsync(local, pipeline, prompt, totals));

        // The comparison means something only if drafts were both kept and rejected, i.e. caches were rolled back mid-draft.
        Assert.True(totals.Accepted > 0, "no draft was ever accepted");
        Assert.True(totals.Drafted > totals.Accepted, "no draft was ever rejected");
        Assert.True(totals.Steps < Prompts.Length * Greedy.MaxNewTokens, "speculation saved no step");
        Assert.Equal(push ? totals.Steps : 0, b.Push.Accepted);
        Assert.Equal(push ? totals.Steps : 0, c.Push.Accepted);
        Assert.Equal(0, a.Push.Accepted);
    }

    [Theory]
    [InlineData("adapter")]
    [InlineData("soft prompts")]
    public async Task Speculative_greedy_output_of_a_tuned_model_equals_plain_greedy_of_it_in_one_process(string tuning)
    {
        using var local = LocalModel.Load(model.Directory);
        using var checkpoint = Checkpoint.Open(model.Directory);
        using var adapter = LoraTestAdapters.Trained(checkpoint.Config, ["q_proj", "v_proj", "down_proj"], seed: 5);
        // Shallow and deep prompts of 3 positions, drawn like the embeddings so that they steer the model.
        using var prompts = SoftPrompts.Create(checkpoint.Config, prefixLength: 3, deep: true, seed: 5, std: 1.0);
        using (TorchSharp.torch.no_grad())
            prompts.Deep!.copy_(TorchSharp.torch.randn(prompts.Deep.shape, generator: new TorchSharp.torch.Generator(6)));
        IBlockPipeline Tuned(IAdaptableBlockPipeline pipeline) => tuning == "adapter" ? new AdaptedPipeline(pipeline, adapter) : new PromptedPipeline(pipeline, prompts);
        await using var providers = await Libp2pProviders.StartAsync(checkpoint);
        await providers.AddAsync(0, 1);
        await providers.AddAsync(1, 3);
        await providers.AddAsync(3, 4);
        var pipeline = Tuned(Pipeline(providers, push: null));
        var localTuned = new TextGenerator(local.Head, Tuned(local.Pipeline));
        var totals = new SpeculativeStatistics();
        var differsFromBase = false;

        foreach (var prompt in Prompts)
        {
            var expected = await localTuned.GenerateAsync(prompt, Greedy).ToListAsync();
            Assert.Equal(expected, await SpeculativeAsync(local, pipeline, prompt, totals));
            differsFromBase |= !expected.SequenceEqual(await LocalTokensAsync(local, prompt));
        }

        // The tuning must matter (or the check could pass without it), and rollbacks must have happened inside tuned sessions.
        Assert.True(differsFromBase, $"the {tuning} changed no greedy token");
        Assert.True(totals.Accepted > 0, "no draft was ever accepted");
        Assert.True(totals.Drafted > totals.Accepted, "no draft was ever rejected");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_provider_killed_mid_speculative_generation_is_replaced_with_identical_tokens(bool push)
    {
        using var local = LocalModel.Load(model.Directory);
        var prompt = Prompts[0];
        var expected = await LocalTokensAsync(local, prompt);
        using var checkpoint = Checkpoint.Open(model.Directory);
        await using var providers = await Libp2pProviders.StartAsync(checkpoint);
        await providers.AddAsync(0, 1);
        var b = await providers.AddAsync(1, 3);
        await providers.AddAsync(3, 4);
        var d = await providers.AddAsync(1, 4, listed: false);
        var pipeline = Pipeline(providers, push ? new PushRouting() : null);
        var routes = new List<IReadOnlyList<RouteHop>>();
        pipeline.RouteChanged += routes.Add;
        var totals = new SpeculativeStatistics();

        var killed = false;
        var generated = await SpeculativeAsync(local, pipeline, prompt, totals, async (count, statistics) =>
        {
            // Only once drafts have been rolled back, so the replacement's replay must leave the rolled-back positions out.
            if (killed || count < 8 || statistics.Drafted == statistics.Accepted) return;
            killed = true;
            providers.List(d);
            await Libp2pProviders.KillAsync(b);
        });

        Assert.True(killed, "the generation ended before the provider was killed");
        Assert.Equal(expected, generated);
        Assert.Equal(2, routes.Count);
        Assert.Equal(d.PeerId.ToString(), routes[1][1].Provider.PeerId);
        Assert.True(totals.Drafted > totals.Accepted, "no draft was rejected, so no rollback preceded the replay");
    }
}
