using System.Globalization;
using System.Text;

namespace Peerz.Hosting.Metrics;

/// <summary>
/// The pieces of Prometheus' text exposition format 0.0.4
/// (https://prometheus.io/docs/instrumenting/exposition_formats/): names, escaping and values.
/// </summary>
public static class TextFormat
{
    /// <summary>The Content-Type a scraper expects for this format.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    /// <summary>Metric names match [a-zA-Z_:][a-zA-Z0-9_:]*.</summary>
    public static bool IsMetricName(string name) =>
        name.Length > 0 && !char.IsAsciiDigit(name[0]) && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or ':');

    /// <summary>Label names match [a-zA-Z_][a-zA-Z0-9_]*; names starting with "__" are reserved for Prometheus.</summary>
    public static bool IsLabelName(string name) =>
        name.Length > 0 && !char.IsAsciiDigit(name[0]) && !name.StartsWith("__", StringComparison.Ordinal) && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');

    /// <summary>HELP text: backslash and line feed are escaped as \\ and \n.</summary>
    public static string EscapeHelp(string help) => Escape(help, quotes: false);

    /// <summary>Label values: backslash, double quote and line feed are escaped as \\, \" and \n.</summary>
    public static string EscapeLabelValue(string value) => Escape(value, quotes: true);

    /// <summary>Values as Go's ParseFloat reads them: shortest round-trip digits, +Inf, -Inf, NaN.</summary>
    public static string FormatValue(double value) => value switch
    {
        double.PositiveInfinity => "+Inf",
        double.NegativeInfinity => "-Inf",
        double.NaN => "NaN",
        _ => value.ToString("R", CultureInfo.InvariantCulture),
    };

    private static string Escape(string text, bool quotes)
    {
        if (text.AsSpan().IndexOfAny('\\', '\n', quotes ? '"' : '\\') < 0) return text;
        var escaped = new StringBuilder(text.Length + 8);
        foreach (var c in text)
        {
            escaped.Append(c switch
            {
                '\\' => @"\\",
                '\n' => @"\n",
                '"' when quotes => "\\\"",
                _ => c.ToString(),
            });
        }
        return escaped.ToString();
    }
}
