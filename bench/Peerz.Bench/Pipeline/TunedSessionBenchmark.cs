using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Peerz.Client;
using Peerz.Client.Remote;
using Peerz.Client.Routing;
using Peerz.Client.Training;
using Peerz.Discovery;
using Peerz.Model;
using Peerz.Model.Adapters;
using Peerz.Model.Blocks;
using Peerz.Model.Checkpoints;
using Peerz.Model.Generation;
using Peerz.Node.Serving;
using Peerz.Node.Swarm;
using Peerz.P2P;

namespace Peerz.Bench.Pipeline;

/// <summary>
/// Generation with a LoRA adapter (lora-session) or deep prompts (prompt-session) through three libp2p providers on
/// 127.0.0.1 (a third of the blocks each): KV-cached inference sessions that carry the tuning against the forward-request
/// path (<see cref="AdaptedPipeline.Recomputing"/>, <see cref="PromptedPipeline.Recomputing"/>: one pass over the whole
/// sequence per token), in the same run, on the same providers, with the same tokens.
/// </summary>
public static class TunedSessionBenchmark
{
    public static Task RunLoraAsync(string[] args) => RunAsync(args, deepPrompts: false);

    public static Task RunPromptsAsync(string[] args) => RunAsync(args, deepPrompts: true);

    private static async Task RunAsync(string[] args, bool deepPrompts)
    {
        int Arg(int index, int fallback) => args.Length > index ? int.Parse(args[index], CultureInfo.InvariantCulture) : fallback;
        var layers = Arg(0, 6);
        var hidden = Arg(1, 512);
        var promptLength = Arg(2, 16);
        var newTokens = Arg(3, 32);
        var rounds = Arg(4, 2);
        var (directory, _) = PipelineModel.Ensure(layers, hidden);
        using var local = LocalModel.Load(directory);
        using var checkpoint = Checkpoint.Open(directory);
        using var adapter = LoraAdapter.Create(checkpoint.Config, 0, layers, LoraModules.Default, rank: 8, alpha: 16, seed: 1);
        // A trained adapter has B ≠ 0; a fresh one (B = 0) would leave the model unchanged, which the timing does not care
        // about but the token check would not notice.
        foreach (var w in adapter.Weights) w.B.normal_(0, 0.02);
        // Deep prompts of 8 positions, drawn like the embeddings so that they steer the model.
        using var prompts = SoftPrompts.Create(checkpoint.Config, prefixLength: 8, deep: true, seed: 1, std: 0.02);
        using (TorchSharp.torch.no_grad()) prompts.Deep!.normal_(0, 0.02);
        var nodes = new List<ProviderNode>();
        var records = new List<ProviderRecord>();
        try
        {
            for (var start = 0; start < layers; start += layers / 3)
            {
                var served = new ServedSpan("bench", BlockSpan.Load(checkpoint, start, Math.Min(layers, start + (layers / 3))), new ServingLimits()) { State = Protocol.Wire.ServerState.Online };
                var node = new ProviderNode(served, new ProviderNodeOptions { Identity = Identity.Generate() }, NullLoggerFactory.Instance);
                await node.StartAsync(CancellationToken.None);
                nodes.Add(node);
                records.Add(new ProviderRecord
                {
                    PeerId = node.PeerId.ToString(),
                    ModelId = "bench",
                    Start = served.Blocks.Start,
                    End = served.Blocks.End,
                    Throughput = 100,
                    Addresses = [.. node.ListenAddresses.Select(a => $"{a}/p2p/{node.PeerId}")],
                });
            }
            await using var client = new StaticSwarm(records, TimeSpan.FromMilliseconds(1), new Libp2pHostOptions().MaxReceiveWindow);
            await client.StartAsync(CancellationToken.None);
            var span = new SpanRequest("bench", 0, layers);
            var options = new RemoteCallOptions { RequestTimeout = TimeSpan.FromMinutes(2) };
            var training = new DistributedTrainingPipeline(span, client, client, new RoutePlanner(client.RoundTrip, new Random(1)), options, NullLogger<DistributedTrainingPipeline>.Instance);
            var inference = new DistributedBlockPipeline(span, client, client, new RoutePlanner(client.RoundTrip, new Random(1)), options, NullLogger<DistributedBlockPipeline>.Instance);
            var tuning = deepPrompts ? "deep prompts" : "the adapter";
            var setups = new (string Name, IBlockPipeline Pipeline)[]
            {
                ("recomputing (forward request per token)", deepPrompts ? PromptedPipeline.Recomputing(training, prompts) : AdaptedPipeline.Recomputing(training, adapter)),
                ($"KV-cached session with {tuning}", deepPrompts ? new PromptedPipeline(inference, prompts) : new AdaptedPipeline(inference, adapter)),
            };
            var prompt = Enumerable.Range(0, promptLength).Select(t => (t * 7919 + 13) % checkpoint.Config.VocabSize).ToArray();
            var generation = new GenerationOptions { MaxNewTokens = newTokens };
            Console.WriteLine($"threads: {TorchSharp.torch.get_num_threads()}; {layers} blocks, hidden {hidden}, float32, 3 providers on 127.0.0.1; " +
                (deepPrompts ? $"deep prompts of {prompts.PrefixLength} positions; " : $"adapter rank 8 on {string.Join(",", LoraModules.Default)}; ") +
                $"prompt {promptLength} tokens, {newTokens} new tokens; best of {rounds}");
            var best = new double[setups.Length];
            var tokens = new List<int>[setups.Length];
            for (var round = 0; round <= rounds; round++)
            {
                for (var s = 0; s < setups.Length; s++)
                {
                    var stopwatch = Stopwatch.StartNew();
                    tokens[s] = await new TextGenerator(local.Head, setups[s].Pipeline).GenerateAsync(prompt, generation).ToListAsync();
                    var perSecond = tokens[s].Count / stopwatch.Elapsed.TotalSeconds;
                    Console.Error.WriteLine($"round {round}{(round == 0 ? " (warm-up)" : "")}: {setups[s].Name}: {perSecond:F1} tokens/s");
                    if (round > 0) best[s] = Math.Max(best[s], perSecond);
                }
            }
            if (!tokens[0].SequenceEqual(tokens[1])) throw new InvalidOperationException("the two paths generated different tokens");
            Console.WriteLine();
            Console.WriteLine("| path | tokens/s (prefill included) | / recomputing |");
            Console.WriteLine("|---|---|---|");
            for (var s = 0; s < setups.Length; s++) Console.WriteLine($"| {setups[s].Name} | {best[s]:F1} | {best[s] / best[0]:F2} |");
        }
        finally
        {
            foreach (var node in nodes)
            {
                await node.DisposeAsync();
                node.Served.Dispose();
            }
        }
    }
}
