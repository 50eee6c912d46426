namespace Peerz.Gateway;

/// <summary>
/// Streams text while watching for stop sequences: text that might be the start of a stop
/// sequence is held back until it is known not to be one, so a stop string never leaks out.
/// </summary>
public sealed class StopSequenceFilter(IReadOnlyList<string> stops)
{
    private string _pending = "";

    public bool Stopped { get; private set; }

    /// <summary>Adds newly decoded text; returns the text that is safe to emit now.</summary>
    public string Push(string text)
    {
        if (Stopped) return "";
        _pending += text;
        foreach (var stop in stops)
        {
            var at = _pending.IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0)
            {
                Stopped = true;
                var before = _pending[..at];
                _pending = "";
                return before;
            }
        }
        var hold = stops.Count == 0 ? 0 : stops.Max(stop => LongestPrefixSuffix(_pending, stop));
        var emit = _pending[..^hold];
        _pending = _pending[^hold..];
        return emit;
    }

    /// <summary>Releases held-back text once generation has ended.</summary>
    public string Flush()
    {
        var rest = Stopped ? "" : _pending;
        _pending = "";
        return rest;
    }

    private static int LongestPrefixSuffix(string text, string stop)
    {
        for (var length = Math.Min(text.Length, stop.Length - 1); length > 0; length--)
            if (text.EndsWith(stop[..length], StringComparison.Ordinal)) return length;
        return 0;
    }
}
