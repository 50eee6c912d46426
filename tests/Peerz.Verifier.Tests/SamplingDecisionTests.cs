using System.Security.Cryptography;
using Peerz.Verifier.Sampling;

namespace Peerz.Verifier.Tests;

public sealed class SamplingDecisionTests
{
    private static readonly byte[] Secret = RandomNumberGenerator.GetBytes(32);

    [Fact]
    public void The_decision_is_a_function_of_the_digest_and_the_secret_only()
    {
        var digest = RandomNumberGenerator.GetBytes(32);
        var decisions = Enumerable.Range(0, 60).Select(_ => new SamplingDecision(Secret, 0.05).IsSampled(digest)).Distinct();
        Assert.Single(decisions);
        Assert.Equal(new SamplingDecision(Secret, 0.3).Fraction(digest), new SamplingDecision((byte[])Secret.Clone(), 0.3).Fraction(digest));
        Assert.NotEqual(new SamplingDecision(Secret, 0.3).Fraction(digest), new SamplingDecision(RandomNumberGenerator.GetBytes(32), 0.3).Fraction(digest));
    }

    [Fact]
    public void The_sampled_share_of_many_receipts_is_the_rate()
    {
        const int Receipts = 20_000;
        var digests = Enumerable.Range(0, Receipts).Select(_ => RandomNumberGenerator.GetBytes(32)).ToList();
        foreach (var rate in new[] { 0.0, 0.05, 0.5, 1.0 })
        {
            var share = digests.Count(new SamplingDecision(Secret, rate).IsSampled) / (double)Receipts;
            var sigma = Math.Sqrt(rate * (1 - rate) / Receipts);
            Assert.InRange(share, rate - 5 * sigma, rate + 5 * sigma);
        }
    }
}
