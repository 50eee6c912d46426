using Microsoft.AspNetCore.Builder;
using Peerz.Gateway.Network;
using Peerz.Model;
using Peerz.Model.Checkpoints;
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
    public static async Task<LocalGateway> StartAsync(NetworkView? network = null, Func<IBlockPipeline, IBlockPipeline>? wrap = null)
    {
        var directory = TempDirectory.Create("gateway");
        TinyCheckpoint.Write(directory, TinyModelFixture.TestShape with { Vocab = 512 });
        var model = LocalModel.Load(directory);
        var tokenizer = Tokenizer.Load(Path.Combine(directory, Checkpoint.TokenizerFile));
        var engine = new PipelineCompletionEngine(ModelId, model.Head, wrap is null ? model.Pipeline : wrap(model.Pipeline), tokenizer, new HashSet<int>(), () => new CompletionDetails("local", null));
        var app = await GatewayServer.StartAsync(engine, "http://127.0.0.1:0", network: network);
        return new LocalGateway(directory, model, tokenizer, app);
    }

    /// <summary>What the model generates greedily for <paramref name="prompt"/>, computed without the gateway.</summary>
    public async Task<(string Text, int PromptTokens)> GreedyAsync(string prompt, int maxNewTokens)
    {
        var ids = Tokenizer.Encode(prompt, addSpecialTokens: true);
        var tokens = await Model.CreateGenerator().GenerateAsync(ids, new GenerationOptions { MaxNewTokens = maxNewTokens }).ToArrayAsync();
        return (Tokenizer.Decode(tokens, skipSpecialTokens: true), ids.Length);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await App.DisposeAsync();
        Model.Dispose();
        TempDirectory.Delete(_directory);
    }
}
