namespace Peerz.Model.Blocks;

/// <summary>
/// ALiBi's per-head slopes as Hugging Face's build_alibi_tensor computes them: for the largest power of two n ≤ heads,
/// slope_h = (2^(−8/n))^h for h = 1..n; the remaining heads take the odd powers 1, 3, 5, … of 2^(−8/(2n)), that is
/// every other slope of a model with 2n heads.
/// </summary>
public static class AlibiSlopes
{
    public static double[] For(int heads)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(heads);
        var powerOfTwo = 1 << (int)Math.Floor(Math.Log2(heads));
        var slopes = new double[heads];
        var baseSlope = Math.Pow(2, -8.0 / powerOfTwo);
        for (var h = 0; h < powerOfTwo; h++)
            slopes[h] = Math.Pow(baseSlope, h + 1);
        var extraBase = Math.Pow(2, -8.0 / (2 * powerOfTwo));
        for (var h = powerOfTwo; h < heads; h++)
            slopes[h] = Math.Pow(extraBase, 2 * (h - powerOfTwo) + 1);
        return slopes;
    }
}
