using System.Security.Cryptography;
using Peerz.Chain.Contracts;
using Peerz.Chain.Crypto;
using Peerz.Protocol.Payments;
using Peerz.Verifier.Sampling;

namespace Peerz.Verifier.Tests;

public sealed class SamplingDecisionTests
{
    private const double Rate = 0.05, DesignCheatRate = 0.01;
    private static readonly byte[] Secret = RandomNumberGenerator.GetBytes(32);
    private static readonly Address Provider = EthKey.Generate().Address;

    [Fact]
    public void The_draw_is_fixed_per_session_whatever_the_step_and_differs_per_provider_blocks_and_secret()
    {
        var sampling = new SamplingDecision(Secret, Rate, DesignCheatRate);
        var session = Receipt(WorkIds.NewSession(WorkKind.Inference), 0);
        var draw = sampling.Fraction(SessionKey.Of(session));
        Assert.All(Enumerable.Range(0, 60), step => Assert.Equal(draw, sampling.Fraction(SessionKey.Of(session with { Step = (ulong)step, Tokens = 7, Timestamp = 99 }))));
        Assert.Equal(draw, new SamplingDecision((byte[])Secret.Clone(), 0.3, 0.2).Fraction(SessionKey.Of(session)));
        Assert.NotEqual(draw, new SamplingDecision(RandomNumberGenerator.GetBytes(32), Rate, DesignCheatRate).Fraction(SessionKey.Of(session)));
        Assert.NotEqual(draw, sampling.Fraction(SessionKey.Of(session with { Provider = EthKey.Generate().Address })));
        Assert.NotEqual(draw, sampling.Fraction(SessionKey.Of(session with { BlockStart = 4, BlockEnd = 8 })));
    }

    [Fact]
    public void A_sampled_session_stays_sampled_as_it_grows()
    {
        var sampling = new SamplingDecision(Secret, Rate, DesignCheatRate);
        for (var i = 0; i < 2_000; i++)
        {
            var session = Receipt(WorkIds.NewSession(WorkKind.Inference), 0);
            var decisions = Enumerable.Range(0, 300).Select(step => sampling.IsSampled(session with { Step = (ulong)step })).ToList();
            // Once true, never false again: the draw is fixed and q(m) does not decrease.
            Assert.Equal(decisions.Count(d => d), decisions.SkipWhile(d => !d).Count());
        }
    }

    /// <summary>
    /// For each session length, the share of 20,000 sessions sampled is q(m) = min(1, p (1 + f m)), within 5 standard
    /// deviations of a binomial share (a false failure about once in 1.7 million runs per length).
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(8)]
    [InlineData(32)]
    [InlineData(97)]
    [InlineData(1_000)]
    [InlineData(2_000)]
    public void The_sampled_share_of_sessions_of_m_steps_is_q_of_m(ulong steps)
    {
        const int Sessions = 20_000;
        var sampling = new SamplingDecision(Secret, Rate, DesignCheatRate);
        var q = Math.Min(1, Rate * (1 + DesignCheatRate * steps));
        Assert.Equal(q, sampling.Threshold(steps), 12);
        var share = Enumerable.Range(0, Sessions).Count(_ => sampling.IsSampled(Receipt(WorkIds.NewSession(WorkKind.Inference), steps - 1))) / (double)Sessions;
        var sigma = Math.Sqrt(q * (1 - q) / Sessions);
        Assert.InRange(share, q - 5 * sigma, q + 5 * sigma);
    }

    /// <summary>
    /// The property the rule is built for: a provider cheating independently on a fraction f of responses is caught per
    /// response at least at rate p·f, q(m)·(1 − (1 − f)^m) / m ≥ p·f, for every session length up to (1/p − 1)/f (1900
    /// steps with the defaults); longer sessions are always checked, and hold a cheat with probability at least
    /// 1 − (1 − f)^((1/p − 1)/f) ≥ 1 − e^−(1/p − 1) (1 − 6e-9 with the defaults).
    /// </summary>
    [Fact]
    public void Every_response_is_caught_at_least_at_the_single_step_rate_up_to_the_length_where_every_session_is_checked()
    {
        foreach (var (p, f) in new[] { (Rate, DesignCheatRate), (0.2, 0.3), (0.01, 0.05) })
        {
            var sampling = new SamplingDecision(Secret, p, f);
            var always = (int)Math.Ceiling((1 / p - 1) / f);
            for (var m = 1; m < always; m++)
                Assert.True(sampling.Threshold(m) * (1 - Math.Pow(1 - f, m)) / m >= p * f * (1 - 1e-12), $"p {p}, f {f}, m {m}");
            Assert.Equal(1, sampling.Threshold(always));
            Assert.True(1 - Math.Pow(1 - f, always) >= 1 - Math.Exp(-(1 / p - 1)));
        }
    }

    private static WorkReceipt Receipt(byte[] sessionId, ulong step) =>
        new(Provider, Address.Zero, sessionId, step, WorkIds.Model("tiny"), 0, 4, new byte[32], new byte[32], 1, 1_700_000_000, 0, 0);
}
