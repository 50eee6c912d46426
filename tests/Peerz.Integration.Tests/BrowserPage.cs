namespace Peerz.Integration.Tests;

/// <summary>Where the browser tests' page scripts (js/*.mjs, run with Playwright) are and where their screenshots go.</summary>
public static class BrowserPage
{
    /// <summary>The path of the page script <paramref name="fileName"/> in tests/Peerz.Integration.Tests/js.</summary>
    public static string Script(string fileName) => Path.Combine(RepositoryRoot.Path, "tests", "Peerz.Integration.Tests", "js", fileName);

    /// <summary>The directory of screenshots kept as test artifacts (TestResults at the repository root), created if missing.</summary>
    public static string ScreenshotDirectory() => Directory.CreateDirectory(Path.Combine(RepositoryRoot.Path, "TestResults")).FullName;

    /// <summary>The path a test saves the screenshot <paramref name="fileName"/> to.</summary>
    public static string Screenshot(string fileName) => Path.Combine(ScreenshotDirectory(), fileName);
}
