using Xunit;

namespace Peerz.Testing;

/// <summary>
/// A test that drives Debian's chromium. Skipped, with the reason, where chromium is not installed;
/// but where PEERZ_REQUIRE_BROWSER=1 (set by .ci/run, which installs it) it always runs, so CI can
/// never pass by skipping it.
/// </summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public const string ExecutablePath = "/usr/bin/chromium";

    public ChromiumFactAttribute()
    {
        if (!File.Exists(ExecutablePath) && Environment.GetEnvironmentVariable("PEERZ_REQUIRE_BROWSER") != "1")
            Skip = $"{ExecutablePath} is not installed (apt-get install chromium; .ci/run installs it)";
    }
}
