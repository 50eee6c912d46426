using System.Diagnostics;
using Peerz.Model.Blocks;
using Peerz.Model.Checkpoints;
using Peerz.Model.Client;
using Peerz.Model.Tiny;
using static TorchSharp.torch;

namespace Peerz.Model.Training;

/// <summary>
/// Trains every weight of a float32 checkpoint in place as a next-token language model: the default model's
/// training (<c>peerz model train-tiny</c>). The forward pass is the model's own (<see cref="ClientHead"/>,
/// <see cref="BlockSpan"/>) with autograd on, so what is trained is exactly what the swarm serves.
/// </summary>
public static class TinyTrainer
{
    /// <summary>Trains the checkpoint in <paramref name="directory"/> on <paramref name="tokens"/> and rewrites its weights in <paramref name="storage"/>.</summary>
    /// <returns>the mean loss of the last tenth of the steps</returns>
    public static double Train(string directory, IReadOnlyList<int> tokens, TrainingOptions options, SafetensorsDType storage, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (tokens.Count <= options.SequenceLength + 1)
            throw new ArgumentException($"the training text has {tokens.Count} tokens; it needs more than one window of {options.SequenceLength + 1}");

        var weights = new List<(string Name, Tensor Tensor)>();
        List<(string Name, Tensor Tensor)> stored;
        double finalLoss;
        using (var checkpoint = Checkpoint.Open(directory))
        {
            checkpoint.TensorLoaded += (name, tensor) => weights.Add((name, tensor));
            var config = checkpoint.Config;
            using var head = ClientHead.Load(checkpoint);
            using var span = BlockSpan.Load(checkpoint, 0, config.NumLayers);
            if (weights.Any(w => w.Tensor.dtype != ScalarType.Float32))
                throw new ArgumentException($"{directory}: training needs float32 weights (the modules must hold the loaded tensors themselves)");
            var embeddings = weights.Single(w => w.Name == "model.embed_tokens.weight").Tensor;
            foreach (var (_, tensor) in weights) tensor.requires_grad_(true);

            using var optimizer = new AdamW([.. weights.Select(w => w.Tensor)], options.WeightDecay);
            var random = new DeterministicRandom(options.Seed);
            using var corpus = tensor(tokens.Select(t => (long)t).ToArray(), ScalarType.Int64);
            var losses = new List<double>();
            var clock = Stopwatch.StartNew();
            for (var step = 0; step < options.Steps; step++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                var windows = Windows(corpus, tokens.Count, options, random);
                var inputs = windows.narrow(1, 0, options.SequenceLength);
                var targets = windows.narrow(1, 1, options.SequenceLength);
                var hidden = embeddings.index_select(0, inputs.flatten()).view(options.BatchSize, options.SequenceLength, config.HiddenSize);
                var logits = head.Logits(span.ForwardWithGradients(hidden));
                var loss = nn.functional.cross_entropy(logits.view(-1, config.VocabSize), targets.flatten());
                loss.backward();
                var rate = options.RateAt(step);
                optimizer.Step(rate);
                losses.Add(loss.item<float>());
                if ((step + 1) % 25 == 0 || step + 1 == options.Steps)
                {
                    var recent = losses.TakeLast(25).Average();
                    progress?.Report(new TrainingProgress(step + 1, options.Steps, recent, rate, (step + 1.0) * options.BatchSize * options.SequenceLength / clock.Elapsed.TotalSeconds));
                }
            }

            finalLoss = losses.TakeLast(Math.Max(1, options.Steps / 10)).Average();
            // Copied out before the modules, which own the weights, are disposed.
            stored = [.. weights.Select(w => (w.Name, w.Tensor.detach().to_type(storage.ToScalarType()).DetachFromDisposeScope()))];
        }

        // The checkpoint (and its memory map) is closed; replace the weights file whole.
        var path = Path.Combine(directory, Checkpoint.SingleFile);
        try
        {
            SafetensorsWriter.Write(path + ".tmp", stored, new Dictionary<string, string> { ["format"] = "pt" });
            File.Move(path + ".tmp", path, overwrite: true);
        }
        finally
        {
            foreach (var (_, tensor) in stored) tensor.Dispose();
        }
        return finalLoss;
    }

    /// <summary>
    /// Mean next-token cross-entropy (nats) of the model in <paramref name="directory"/> over consecutive windows of
    /// <paramref name="tokens"/>, computed through the inference path (<see cref="LocalModel"/>, no autograd).
    /// </summary>
    public static double Evaluate(string directory, IReadOnlyList<int> tokens, int sequenceLength)
    {
        using var model = LocalModel.Load(directory);
        double total = 0;
        long count = 0;
        for (var start = 0; start + sequenceLength + 1 <= tokens.Count; start += sequenceLength)
        {
            using var scope = NewDisposeScope();
            var window = tokens.Skip(start).Take(sequenceLength + 1).ToArray();
            var logits = model.Head.Logits(model.Blocks.Forward(model.Head.EmbedSequence(window[..^1])));
            var targets = tensor(window[1..].Select(t => (long)t).ToArray(), ScalarType.Int64);
            total += nn.functional.cross_entropy(logits.view(-1, model.Head.Config.VocabSize), targets, reduction: nn.Reduction.Sum).item<float>();
            count += sequenceLength;
        }
        return count == 0 ? throw new ArgumentException("the evaluation text is shorter than one window") : total / count;
    }

    private static Tensor Windows(Tensor corpus, int length, TrainingOptions options, DeterministicRandom random)
    {
        var rows = new Tensor[options.BatchSize];
        for (var i = 0; i < rows.Length; i++)
        {
            var start = (long)(random.NextUInt64() % (ulong)(length - options.SequenceLength - 1));
            rows[i] = corpus.narrow(0, start, options.SequenceLength + 1);
        }
        return stack(rows);
    }
}
