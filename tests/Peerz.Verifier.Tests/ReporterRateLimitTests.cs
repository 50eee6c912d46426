using Microsoft.Extensions.Time.Testing;
using Peerz.Verifier.Sampling;

namespace Peerz.Verifier.Tests;

public sealed class ReporterRateLimitTests
{
    [Fact]
    public void Refused_reports_drain_a_reporters_bucket_which_refills_over_time_and_not_when_the_clock_steps_back()
    {
        var time = new FakeTimeProvider();
        var limit = new ReporterRateLimit(perMinute: 6, burst: 3, time);
        for (var i = 0; i < 3; i++)
        {
            Assert.False(limit.IsLimited("junk"));
            limit.Charge("junk");
        }
        Assert.True(limit.IsLimited("junk"));
        Assert.False(limit.IsLimited("other")); // per reporter

        time.AdjustTime(time.GetUtcNow() - TimeSpan.FromMinutes(5)); // a clock stepping back neither refills nor drains
        Assert.True(limit.IsLimited("junk"));
        time.Advance(TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(10)); // one token per 10 s
        Assert.False(limit.IsLimited("junk"));
        limit.Charge("junk");
        Assert.True(limit.IsLimited("junk"));
    }

    [Fact]
    public void Quiet_reporters_are_forgotten_when_too_many_are_tracked()
    {
        var time = new FakeTimeProvider();
        var limit = new ReporterRateLimit(perMinute: 60, burst: 1, time, maxReporters: 2);
        limit.Charge("a");
        limit.Charge("b");
        time.Advance(TimeSpan.FromMinutes(1));
        limit.Charge("c"); // a and b are full again: forgotten, with nothing lost
        Assert.False(limit.IsLimited("a"));
        Assert.True(limit.IsLimited("c"));
    }
}
