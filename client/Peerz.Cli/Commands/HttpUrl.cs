using Peerz.Hosting;

namespace Peerz.Cli.Commands;

/// <summary>An API base address given on the command line (settlement, verifier): http(s) only, with a trailing slash so relative paths append.</summary>
public static class HttpUrl
{
    public static Uri Parse(string text, string option) =>
        Uri.TryCreate(text.EndsWith('/') ? text : text + "/", UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            ? uri
            : throw new UserErrorException($"{option} '{text}' is not an http(s) URL");
}
