using System.Runtime.CompilerServices;
using Peerz.Model.Client;
using Peerz.Model.Generation;
using Peerz.Model.Tokenization;

namespace Peerz.Gateway;

/// <summary>
/// Completions from any block pipeline (local or the swarm): the same generation loop as
/// `peerz generate`, with text stop sequences and token usage on top.
/// </summary>
public sealed class PipelineCompletionEngine(
    string modelId,
    ClientHead head,
    IBlockPipeline pipeline,
    Tokenizer tokenizer,
    IReadOnlySet<int> endOfSequenceIds,
    Func<CompletionDetails> details) : ICompletionEngine
{
    public string ModelId => modelId;

    /// <summary>
    /// A plain role-tagged template ("&lt;|user|&gt;\n...\n" per message, then "&lt;|assistant|&gt;\n").
    /// Checkpoints' own Jinja chat templates are not interpreted yet (see docs/gateway.md).
    /// </summary>
    public string FormatChat(IReadOnlyList<ChatMessage> messages) =>
        string.Concat(messages.Select(m => $"<|{m.Role}|>\n{m.Content}\n")) + "<|assistant|>\n";

    public async IAsyncEnumerable<CompletionChunk> CompleteAsync(CompletionRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var promptIds = tokenizer.Encode(request.Prompt, addSpecialTokens: true);
        var room = head.Config.MaxPositionEmbeddings - promptIds.Length;
        if (room < 1)
            throw new OpenAiError(400, $"the prompt has {promptIds.Length} tokens; the model's context is {head.Config.MaxPositionEmbeddings}", "prompt");
        var options = new GenerationOptions
        {
            MaxNewTokens = Math.Min(request.MaxTokens, room),
            Sampling = new SamplingOptions { Temperature = request.Temperature, TopP = request.TopP, Seed = request.Seed },
            StopTokenIds = endOfSequenceIds,
        };
        var rerouting = new ReroutingNotices(pipeline);
        CompletionDetails Details() => rerouting.Notices is { Count: > 0 } notices ? details() with { Notices = notices } : details();
        var decoder = tokenizer.CreateStreamingDecoder();
        var filter = new StopSequenceFilter(request.Stop);
        var produced = 0;
        var finish = "length";
        await foreach (var token in new TextGenerator(head, rerouting).GenerateAsync(promptIds, options, cancellationToken))
        {
            produced++;
            if (endOfSequenceIds.Contains(token))
            {
                finish = "stop";
                break;
            }
            var text = filter.Push(decoder.Add(token));
            if (text.Length > 0) yield return new CompletionChunk(text, null, null, Details());
            if (filter.Stopped)
            {
                finish = "stop";
                break;
            }
        }
        var rest = filter.Push(decoder.Flush()) + filter.Flush();
        yield return new CompletionChunk(rest, finish, new CompletionUsage(promptIds.Length, produced), Details());
    }
}
