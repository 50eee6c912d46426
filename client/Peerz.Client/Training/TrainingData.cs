using static TorchSharp.torch;

namespace Peerz.Client.Training;

/// <summary>
/// A tokenized text cut into fixed-length sequences, served as batches in a seeded order that
/// repeats every epoch: the same seed gives the same batches, so runs can be compared step by step.
/// </summary>
public sealed class TrainingData
{
    private readonly int[][] _sequences;
    private readonly int[] _order;

    public TrainingData(IReadOnlyList<int> tokenIds, int sequenceLength, int batchSize, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(sequenceLength, 2);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        if (tokenIds.Count < sequenceLength)
            throw new ArgumentException($"the text holds {tokenIds.Count} tokens; a training sequence needs {sequenceLength}", nameof(tokenIds));
        _sequences = Enumerable.Range(0, tokenIds.Count / sequenceLength)
            .Select(i => tokenIds.Skip(i * sequenceLength).Take(sequenceLength).ToArray())
            .ToArray();
        _order = Enumerable.Range(0, _sequences.Length).ToArray();
        new Random(seed).Shuffle(_order);
        SequenceLength = sequenceLength;
        BatchSize = batchSize;
    }

    public int SequenceLength { get; }

    public int BatchSize { get; }

    public int SequenceCount => _sequences.Length;

    /// <summary>Batch number <paramref name="step"/>: int64 token ids [batch, length] (sequences wrap around).</summary>
    public Tensor Batch(int step)
    {
        var rows = Enumerable.Range(0, BatchSize).Select(r => _sequences[_order[(int)(((long)step * BatchSize + r) % _order.Length)]]);
        return tensor(rows.SelectMany(row => row.Select(id => (long)id)).ToArray(), [BatchSize, SequenceLength], ScalarType.Int64);
    }
}
