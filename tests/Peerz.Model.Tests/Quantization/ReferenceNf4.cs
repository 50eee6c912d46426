namespace Peerz.Model.Tests.Quantization;

/// <summary>
/// NF4 with double-quantized scales written from QLoRA's description in plain loops over arrays (no TorchSharp), to check
/// <see cref="Blocks.Nf4Weight"/> against: blocks of 64 consecutive values scaled by their absmax, each value replaced by
/// the nearest code level; the absmax scales less their mean stored as int8 steps of absmax/127 per group of 256.
/// </summary>
internal static class ReferenceNf4
{
    /// <summary>The reconstructed values, and per value how much closer its chosen level is than the runner-up (a near tie below float precision may go either way).</summary>
    public static (double[] Values, double[] TieMargin) RoundTrip(float[] weights, IReadOnlyList<float> levels)
    {
        const int block = 64, group = 256;
        var blocks = (weights.Length + block - 1) / block;
        var absmax = new double[blocks];
        for (var i = 0; i < weights.Length; i++) absmax[i / block] = Math.Max(absmax[i / block], Math.Abs(weights[i]));
        var codes = new int[weights.Length];
        var margin = new double[weights.Length];
        for (var i = 0; i < weights.Length; i++)
        {
            var x = absmax[i / block] == 0 ? 0 : weights[i] / absmax[i / block];
            var distances = levels.Select(l => Math.Abs(x - l)).ToArray();
            codes[i] = Array.IndexOf(distances, distances.Min());
            margin[i] = distances.Order().ElementAt(1) - distances.Min();
        }
        var offset = absmax.Average();
        var scales = new double[blocks];
        for (var g = 0; g * group < blocks; g++)
        {
            var members = Enumerable.Range(g * group, Math.Min(group, blocks - g * group)).ToArray();
            var step = members.Max(b => Math.Abs(absmax[b] - offset)) / 127;
            foreach (var b in members) scales[b] = step == 0 ? offset : offset + step * Math.Round((absmax[b] - offset) / step, MidpointRounding.ToEven);
        }
        return (weights.Select((_, i) => levels[codes[i]] * scales[i / block]).ToArray(), margin);
    }
}
