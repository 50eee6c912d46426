using System.Globalization;
using System.Text;

namespace Peerz.Testing.Prometheus;

/// <summary>
/// An independent reader of Prometheus' text exposition format 0.0.4, written from the spec
/// (https://prometheus.io/docs/instrumenting/exposition_formats/, "Text format details") and not
/// from our writer, so tests can check what a real scraper would see. It is strict: whatever the
/// spec forbids (a TYPE after the metric's samples, two HELP lines for one name, a bad escape,
/// non-cumulative histogram buckets, a missing final line feed) throws FormatException.
/// </summary>
public sealed class PrometheusText
{
    private readonly List<PrometheusSample> _samples = [];
    private readonly Dictionary<string, string> _types = [];
    private readonly Dictionary<string, string> _help = [];

    public IReadOnlyList<PrometheusSample> Samples => _samples;

    public IReadOnlyDictionary<string, string> Types => _types;

    public IReadOnlyDictionary<string, string> Help => _help;

    /// <summary>The value of the one sample with this name and exactly these labels.</summary>
    public double Value(string name, params (string Name, string Value)[] labels) =>
        Find(name, labels) ?? throw new KeyNotFoundException($"no sample {name}{{{string.Join(",", labels.Select(l => $"{l.Name}=\"{l.Value}\""))}}}");

    public double? Find(string name, params (string Name, string Value)[] labels) =>
        _samples.SingleOrDefault(s => s.Name == name && s.Labels.Count == labels.Length && labels.All(l => s.Labels.GetValueOrDefault(l.Name) == l.Value))?.Value;

    public static PrometheusText Parse(string text)
    {
        if (text.Length > 0 && !text.EndsWith('\n')) throw new FormatException("the last line must end with a line feed");
        var parsed = new PrometheusText();
        var lineNumber = 0;
        foreach (var raw in text.Split('\n'))
        {
            lineNumber++;
            var line = raw.Trim(' ', '\t');
            if (line.Length == 0) continue;
            try
            {
                if (line[0] == '#') parsed.ReadComment(line);
                else parsed.ReadSample(line);
            }
            catch (FormatException e)
            {
                throw new FormatException($"line {lineNumber} '{raw}': {e.Message}", e);
            }
        }
        parsed.CheckHistograms();
        return parsed;
    }

    private void ReadComment(string line)
    {
        var tokens = line[1..].TrimStart(' ', '\t').Split([' ', '\t'], 3, StringSplitOptions.RemoveEmptyEntries);
        if (tokens.Length < 2 || tokens[0] is not ("HELP" or "TYPE")) return; // an ordinary comment
        var name = tokens[1];
        if (!IsMetricName(name)) throw new FormatException($"bad metric name '{name}'");
        if (tokens[0] == "HELP")
        {
            if (!_help.TryAdd(name, Unescape(tokens.Length > 2 ? tokens[2] : "", quotes: false)))
                throw new FormatException($"a second HELP line for {name}");
            return;
        }
        var type = tokens.Length > 2 ? tokens[2].Trim() : "";
        if (type is not ("counter" or "gauge" or "histogram" or "summary" or "untyped")) throw new FormatException($"unknown type '{type}'");
        if (_samples.Any(s => FamilyOf(s.Name, type) == name)) throw new FormatException($"the TYPE line of {name} comes after its samples");
        if (!_types.TryAdd(name, type)) throw new FormatException($"a second TYPE line for {name}");
    }

    private void ReadSample(string line)
    {
        var i = 0;
        while (i < line.Length && line[i] is not ('{' or ' ' or '\t')) i++;
        var name = line[..i];
        if (!IsMetricName(name)) throw new FormatException($"bad metric name '{name}'");
        var labels = new Dictionary<string, string>();
        if (i < line.Length && line[i] == '{')
        {
            i++;
            while (true)
            {
                SkipBlanks(line, ref i);
                if (i < line.Length && line[i] == '}') { i++; break; }
                var start = i;
                while (i < line.Length && line[i] is not ('=' or ' ' or '\t')) i++;
                var label = line[start..i];
                if (!IsLabelName(label)) throw new FormatException($"bad label name '{label}'");
                SkipBlanks(line, ref i);
                Expect(line, ref i, '=');
                SkipBlanks(line, ref i);
                Expect(line, ref i, '"');
                var value = new StringBuilder();
                while (true)
                {
                    if (i >= line.Length) throw new FormatException("unterminated label value");
                    var c = line[i++];
                    if (c == '"') break;
                    if (c != '\\') { value.Append(c); continue; }
                    if (i >= line.Length) throw new FormatException("dangling backslash");
                    value.Append(line[i++] switch { '\\' => '\\', '"' => '"', 'n' => '\n', var other => throw new FormatException($"bad escape \\{other}") });
                }
                if (!labels.TryAdd(label, value.ToString())) throw new FormatException($"label {label} given twice");
                SkipBlanks(line, ref i);
                if (i < line.Length && line[i] == ',') { i++; continue; }
                Expect(line, ref i, '}');
                break;
            }
        }
        var rest = line[i..].Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        if (rest.Length is < 1 or > 2) throw new FormatException("expected a value and an optional timestamp");
        if (rest.Length == 2 && !long.TryParse(rest[1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _)) throw new FormatException($"bad timestamp '{rest[1]}'");
        if (_samples.Any(s => s.Name == name && SameLabels(s.Labels, labels))) throw new FormatException($"{name} repeats a series");
        _samples.Add(new PrometheusSample(name, labels, ParseValue(rest[0])));
    }

    /// <summary>Buckets are cumulative, end with le="+Inf", and that bucket equals _count.</summary>
    private void CheckHistograms()
    {
        foreach (var (family, _) in _types.Where(t => t.Value == "histogram"))
        {
            foreach (var series in _samples.Where(s => s.Name == family + "_count"))
            {
                var buckets = _samples.Where(s => s.Name == family + "_bucket" && SameLabels(Without(s.Labels, "le"), series.Labels))
                    .Select(s => (Bound: ParseValue(s.Labels["le"]), s.Value)).ToList();
                if (buckets.Count == 0 || !double.IsPositiveInfinity(buckets[^1].Bound)) throw new FormatException($"{family}: the last bucket must be le=\"+Inf\"");
                for (var k = 1; k < buckets.Count; k++)
                    if (buckets[k].Bound <= buckets[k - 1].Bound || buckets[k].Value < buckets[k - 1].Value) throw new FormatException($"{family}: buckets must be increasing and cumulative");
                if (buckets[^1].Value != series.Value) throw new FormatException($"{family}: the +Inf bucket must equal _count");
                if (!_samples.Any(s => s.Name == family + "_sum" && SameLabels(s.Labels, series.Labels))) throw new FormatException($"{family}: missing _sum");
            }
        }
    }

    private static string FamilyOf(string sample, string type) =>
        type == "histogram" ? TrimSuffix(TrimSuffix(TrimSuffix(sample, "_bucket"), "_sum"), "_count") : sample;

    private static string TrimSuffix(string text, string suffix) => text.EndsWith(suffix, StringComparison.Ordinal) ? text[..^suffix.Length] : text;

    private static Dictionary<string, string> Without(IReadOnlyDictionary<string, string> labels, string name) =>
        labels.Where(l => l.Key != name).ToDictionary(l => l.Key, l => l.Value);

    private static bool SameLabels(IReadOnlyDictionary<string, string> a, IReadOnlyDictionary<string, string> b) =>
        a.Count == b.Count && a.All(l => b.TryGetValue(l.Key, out var v) && v == l.Value);

    /// <summary>Go's ParseFloat: decimal or exponent notation, and the spellings +Inf, -Inf, NaN.</summary>
    private static double ParseValue(string text) => text switch
    {
        "+Inf" or "Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        "NaN" => double.NaN,
        _ => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? value : throw new FormatException($"bad value '{text}'"),
    };

    private static string Unescape(string text, bool quotes)
    {
        var result = new StringBuilder();
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] != '\\' || i + 1 == text.Length) { result.Append(text[i]); continue; }
            var next = text[++i];
            result.Append(next switch { '\\' => "\\", 'n' => "\n", '"' when quotes => "\"", _ => "\\" + next });
        }
        return result.ToString();
    }

    private static void SkipBlanks(string line, ref int i)
    {
        while (i < line.Length && line[i] is ' ' or '\t') i++;
    }

    private static void Expect(string line, ref int i, char c)
    {
        if (i >= line.Length || line[i] != c) throw new FormatException($"expected '{c}' at column {i + 1}");
        i++;
    }

    private static bool IsMetricName(string name) =>
        name.Length > 0 && (char.IsAsciiLetter(name[0]) || name[0] is '_' or ':') && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or ':');

    private static bool IsLabelName(string name) =>
        name.Length > 0 && (char.IsAsciiLetter(name[0]) || name[0] == '_') && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');
}

public sealed record PrometheusSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);
