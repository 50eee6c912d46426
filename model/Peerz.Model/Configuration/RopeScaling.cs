using System.Text.Json.Nodes;

namespace Peerz.Model.Configuration;

/// <summary>Llama 3.1's frequency-dependent rope scaling ("rope_type": "llama3").</summary>
public sealed record RopeScaling(double Factor, double LowFreqFactor, double HighFreqFactor, int OriginalMaxPositionEmbeddings)
{
    public static RopeScaling? Parse(JsonNode? node, string source)
    {
        if (node is null) return null;
        if (node is not JsonObject obj)
            throw new CheckpointFormatException(source, "rope_scaling must be an object or null");
        var reader = new ConfigReader(obj, source);
        var type = reader.OptionalString("rope_type") ?? reader.OptionalString("type");
        if (type == "default") return null;
        if (type != "llama3")
            throw new CheckpointFormatException(source, $"rope_scaling type '{type}' is not supported (supported: llama3)");
        var scaling = new RopeScaling(
            reader.OptionalDouble("factor") ?? throw new CheckpointFormatException(source, "rope_scaling.factor is missing"),
            reader.OptionalDouble("low_freq_factor") ?? 1,
            reader.OptionalDouble("high_freq_factor") ?? 4,
            reader.OptionalPositiveInt("original_max_position_embeddings") ?? 8192);
        if (scaling.Factor <= 0 || scaling.HighFreqFactor <= scaling.LowFreqFactor)
            throw new CheckpointFormatException(source, "rope_scaling needs factor > 0 and high_freq_factor > low_freq_factor");
        return scaling;
    }

    /// <summary>Applies the llama3 rule to base inverse frequencies (as in HF's _compute_llama3_parameters).</summary>
    public double[] Apply(double[] inverseFrequencies)
    {
        var lowFreqWavelen = OriginalMaxPositionEmbeddings / LowFreqFactor;
        var highFreqWavelen = OriginalMaxPositionEmbeddings / HighFreqFactor;
        var result = new double[inverseFrequencies.Length];
        for (var i = 0; i < result.Length; i++)
        {
            var freq = inverseFrequencies[i];
            var wavelen = 2 * Math.PI / freq;
            if (wavelen < highFreqWavelen)
                result[i] = freq;
            else if (wavelen > lowFreqWavelen)
                result[i] = freq / Factor;
            else
            {
                var smooth = (OriginalMaxPositionEmbeddings / wavelen - LowFreqFactor) / (HighFreqFactor - LowFreqFactor);
                result[i] = (1 - smooth) * freq / Factor + smooth * freq;
            }
        }
        return result;
    }

    public JsonObject ToJson() => new()
    {
        ["rope_type"] = "llama3",
        ["factor"] = Factor,
        ["low_freq_factor"] = LowFreqFactor,
        ["high_freq_factor"] = HighFreqFactor,
        ["original_max_position_embeddings"] = OriginalMaxPositionEmbeddings,
    };
}
