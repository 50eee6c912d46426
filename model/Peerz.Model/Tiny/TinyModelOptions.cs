namespace Peerz.Model.Tiny;

/// <summary>Shape of a generated tiny Llama-family checkpoint. The defaults are the embedded demo model.</summary>
public sealed record TinyModelOptions
{
    public ulong Seed { get; init; } = 42;
    public int Layers { get; init; } = 8;
    public int Hidden { get; init; } = 128;
    public int Heads { get; init; } = 4;
    public int KvHeads { get; init; } = 2;
    public int Vocab { get; init; } = 512;
    /// <summary>0 picks the Llama ratio (about 8/3 · hidden, rounded up to a multiple of 32).</summary>
    public int Intermediate { get; init; }
    public int MaxPositions { get; init; } = 2048;
    /// <summary>
    /// llama, mistral, qwen2, mixtral, bloom (whose MLP is 4 · hidden wide and has a key/value head per head) or falcon
    /// (MLP 4 · hidden; one kv-head writes Falcon-7B's multi-query layout, more the new decoder architecture's).
    /// </summary>
    public string ModelType { get; init; } = "llama";
    /// <summary>Mixtral only: experts per block and experts each token is routed to.</summary>
    public int Experts { get; init; } = 4;
    public int ExpertsPerToken { get; init; } = 2;
    public bool TieWordEmbeddings { get; init; }
    /// <summary>Falcon only: a bias on every linear (config <c>bias: true</c>, which no released Falcon uses).</summary>
    public bool FalconLinearBiases { get; init; }
    /// <summary>F32, F16 or BF16: the dtype the weights are stored in.</summary>
    public string StorageDType { get; init; } = "F32";

    public int IntermediateSize => Intermediate > 0 ? Intermediate : (Hidden * 8 / 3 + 31) / 32 * 32;

    public void Validate()
    {
        if (Layers < 1 || Hidden < 2 || Heads < 1 || KvHeads < 1 || Vocab < 2 || MaxPositions < 1)
            throw new ArgumentException("layers, hidden, heads, kv-heads, vocab and max positions must be positive");
        // Rotary embeddings rotate pairs of a head's dimensions; BLOOM's ALiBi takes heads of any size.
        if (Hidden % Heads != 0 || ModelType != Configuration.BloomConfig.ModelType && Hidden / Heads % 2 != 0)
            throw new ArgumentException($"hidden ({Hidden}) must split into {Heads} heads of an even size");
        if (Heads % KvHeads != 0)
            throw new ArgumentException($"heads ({Heads}) must be a multiple of kv-heads ({KvHeads})");
        if (!Configuration.ModelConfig.SupportedModelTypes.Contains(ModelType))
            throw new ArgumentException($"model type '{ModelType}' is not one of {string.Join(", ", Configuration.ModelConfig.SupportedModelTypes)}");
        if (ModelType == "mixtral" && (Experts < 1 || ExpertsPerToken < 1 || ExpertsPerToken > Experts))
            throw new ArgumentException($"experts ({Experts}) must be positive and at least the experts per token ({ExpertsPerToken})");
    }
}
