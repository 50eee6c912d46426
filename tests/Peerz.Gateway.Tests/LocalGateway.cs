using Microsoft.AspNetCore.Builder;
using Peerz.Client.Training;
using Peerz.Gateway.Network;
using Peerz.Model;
using Peerz.Model.Adapters;
using Peerz.Model.Checkpoints;
using Peerz.Model.Configuration;
using Peerz.Model.Generation;
using Peerz.Model.Tiny;
using Peerz.Model.Tokenization;

namespace Peerz.Gateway.Tests;

/// <summary>The real gateway on a Kestrel socket at 127.0.0.1, backed by a freshly generated tiny model run locally.</summary>
public sealed class LocalGateway : IAsyncDisposable
{
    private readonly string _directory;

    private LocalGateway(string directory, LocalModel model, Tokenizer tokenizer, WebApplication app)
    {
        _directory = directory;
        Model = model;
        Tokenizer = tokenizer;
        App = app;
        BaseUrl = app.Urls.First();
        Http = new HttpClient { BaseAddress = new Uri(BaseUrl), Timeout = TimeSpan.FromSeconds(60) };
    }

    public const string ModelId = "tiny";

    public LocalModel Model { get; }

    public Tokenizer Tokenizer { get; }

    public WebApplication App { get; }

    public string BaseUrl { get; }

    public HttpClient Http { get; }

    /// <param name="network">The network map to serve at /v1/network (none: a local gateway's empty map).</param>
    /// <param name="wrap">Wraps the model's pipeline (e.g. to make it fail as a swarm would).</param>
    /// <param name="adapters">
    /// LoRA adapters for the generated model, by name, served as "tiny:NAME" beside the base model as `peerz serve
    /// --adapter NAME=DIR` does; the gateway owns them (<see cref="Adapters"/>).
    /// </param>
    public static async Task<LocalGateway> StartAsync(NetworkView? network = null, Func<IBlockPipeline, IBlockPipeline>? wrap = null,
        Func<ModelConfig, IReadOnlyList<(string Name, LoraAdapter Adapter)>>? adapters = null)
    {
        var directory = TempDirectory.Create("gateway");
        TinyCheckpoint.Write(directory, TinyModelFixture.TestShape with { Vocab = 512 });
        var model = LocalModel.Load(directory);
        var tokenizer = Tokenizer.Load(Path.Combine(directory, Checkpoint.TokenizerFile));
        var pipeline = wrap is null ? model.Pipeline : wrap(model.Pipeline);
        var named = adapters?.Invoke(model.Head.Config) ?? [];
        PipelineCompletionEngine Engine(string id, IBlockPipeline blocks) => new(id, model.Head, blocks, tokenizer, new HashSet<int>(), () => new CompletionDetails("local", null));
        ICompletionEngine[] engines = [Engine(ModelId, pipeline), .. named.Select(a => Engine($"{ModelId}:{a.Name}", new AdaptedPipeline(model.Pipeline, a.Adapter)))];
        var app = await GatewayServer.StartAsync(engines, "http://127.0.0.1:0", network: network);
        return new LocalGateway(directory, model, tokenizer, app) { Adapters = named.ToDictionary(a => a.Name, a => a.Adapter) };
    }

    /// <summary>The LoRA adapters served beside the base model, by name.</summary>
    public IReadOnlyDictionary<string, LoraAdapter> Adapters { get; private init; } = new Dictionary<string, LoraAdapter>();

    /// <summary>What the model (with <paramref name="adapter"/> when given) generates greedily for <paramref name="prompt"/>, computed without the gateway.</summary>
    public async Task<(string Text, int PromptTokens)> GreedyAsync(string prompt, int maxNewTokens, LoraAdapter? adapter = null)
    {
        var ids = Tokenizer.Encode(prompt, addSpecialTokens: true);
        var generator = adapter is null ? Model.CreateGenerator() : new TextGenerator(Model.Head, new AdaptedPipeline(Model.Pipeline, adapter));
        var tokens = await generator.GenerateAsync(ids, new GenerationOptions { MaxNewTokens = maxNewTokens }).ToArrayAsync();
        return (Tokenizer.Decode(tokens, skipSpecialTokens: true), ids.Length);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await App.DisposeAsync();
        Model.Dispose();
        foreach (var adapter in Adapters.Values) adapter.Dispose();
        TempDirectory.Delete(_directory);
    }
}
