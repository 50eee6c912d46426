using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Peerz.Model.Tokenization;

/// <summary>
/// A regex from tokenizer.json (written for Oniguruma, which Hugging Face tokenizers uses) run by
/// .NET with the same results. Two differences need care:
/// <list type="bullet">
/// <item>Possessive quantifiers (<c>?+</c>, <c>*+</c>, <c>++</c>, <c>{n,m}+</c>) do not exist in .NET;
/// each becomes an atomic group around the quantified atom, which is their definition.
/// <c>\x{HHHH}</c> becomes <c>\uHHHH</c>.</item>
/// <item>.NET matches UTF-16 code units, Oniguruma code points: a letter outside the BMP such as
/// U+20000 is two surrogates (category Cs) to .NET, so <c>\p{L}</c> would not match it. Text with
/// surrogate pairs is therefore matched on a stand-in string holding one BMP character of the same
/// Unicode general category per code point, and the match offsets are mapped back.</item>
/// </list>
/// </summary>
public sealed class OnigurumaPattern
{
    // One BMP character per general category, used in place of supplementary-plane characters.
    // Chosen from blocks tokenizer patterns never name literally.
    private static readonly char[] StandIns = BuildStandIns();

    private readonly Regex _regex;

    public OnigurumaPattern(string pattern)
    {
        DotNetPattern = Translate(pattern);
        try
        {
            _regex = new Regex(DotNetPattern, RegexOptions.Compiled | RegexOptions.CultureInvariant);
        }
        catch (ArgumentException e)
        {
            throw new TokenizerException($"regex '{pattern}' is not supported: {e.Message}", e);
        }
    }

    /// <summary>The pattern as .NET compiles it.</summary>
    public string DotNetPattern { get; }

    /// <summary>Start and end (UTF-16 offsets) of every non-empty match, left to right.</summary>
    public List<(int Start, int End)> Matches(string text)
    {
        var result = new List<(int, int)>();
        if (!text.AsSpan().ContainsAnyInRange('\uD800', '\uDFFF'))
        {
            for (var m = _regex.Match(text); m.Success; m = m.NextMatch())
                if (m.Length > 0) result.Add((m.Index, m.Index + m.Length));
            return result;
        }
        var (standIn, offsets) = FoldSupplementary(text);
        for (var m = _regex.Match(standIn); m.Success; m = m.NextMatch())
            if (m.Length > 0) result.Add((offsets[m.Index], offsets[m.Index + m.Length]));
        return result;
    }

    /// <summary>Replaces every match of this pattern with <paramref name="replacement"/> (taken literally).</summary>
    public string Replace(string text, string replacement)
    {
        var matches = Matches(text);
        if (matches.Count == 0) return text;
        var builder = new StringBuilder(text.Length);
        var previous = 0;
        foreach (var (start, end) in matches)
        {
            builder.Append(text, previous, start - previous).Append(replacement);
            previous = end;
        }
        return builder.Append(text, previous, text.Length - previous).ToString();
    }

    private static (string StandIn, int[] Offsets) FoldSupplementary(string text)
    {
        var standIn = new StringBuilder(text.Length);
        var offsets = new List<int>(text.Length + 1);
        for (var i = 0; i < text.Length;)
        {
            offsets.Add(i);
            if (Rune.DecodeFromUtf16(text.AsSpan(i), out var rune, out var used) != System.Buffers.OperationStatus.Done)
                throw new TokenizerException("text contains an unpaired UTF-16 surrogate");
            standIn.Append(rune.IsBmp ? (char)rune.Value : StandIns[(int)Rune.GetUnicodeCategory(rune)]);
            i += used;
        }
        offsets.Add(text.Length);
        return (standIn.ToString(), offsets.ToArray());
    }

    /// <summary>Rewrites Oniguruma-only syntax into its .NET equivalent.</summary>
    public static string Translate(string pattern)
    {
        var output = new StringBuilder(pattern.Length + 16);
        var groupStarts = new Stack<int>();
        var atomStart = -1;
        var i = 0;
        while (i < pattern.Length)
        {
            var c = pattern[i];
            switch (c)
            {
                case '\\':
                    atomStart = output.Length;
                    i = CopyEscape(pattern, i, output);
                    break;
                case '[':
                    atomStart = output.Length;
                    i = CopyClass(pattern, i, output);
                    break;
                case '(':
                    groupStarts.Push(output.Length);
                    atomStart = -1;
                    output.Append(c);
                    i++;
                    break;
                case ')':
                    if (groupStarts.Count == 0) throw new TokenizerException($"regex '{pattern}' has an unbalanced ')'");
                    atomStart = groupStarts.Pop();
                    output.Append(c);
                    i++;
                    break;
                case '*' or '+' or '?' or '{' when atomStart >= 0 && (c != '{' || IsCountedQuantifier(pattern, i)):
                    var end = c == '{' ? pattern.IndexOf('}', i) + 1 : i + 1;
                    output.Append(pattern, i, end - i);
                    i = end;
                    if (i < pattern.Length && pattern[i] == '+')
                    {
                        output.Insert(atomStart, "(?>").Append(')');
                        i++;
                    }
                    else if (i < pattern.Length && pattern[i] == '?')
                    {
                        output.Append('?');
                        i++;
                    }
                    atomStart = -1;
                    break;
                case '|':
                    atomStart = -1;
                    output.Append(c);
                    i++;
                    break;
                default:
                    atomStart = output.Length;
                    output.Append(c);
                    i++;
                    break;
            }
        }
        if (groupStarts.Count > 0) throw new TokenizerException($"regex '{pattern}' has an unbalanced '('");
        return output.ToString();
    }

    private static bool IsCountedQuantifier(string pattern, int i)
    {
        var close = pattern.IndexOf('}', i);
        return close > i + 1 && pattern.AsSpan(i + 1, close - i - 1).IndexOfAnyExcept("0123456789,") < 0;
    }

    private static int CopyEscape(string pattern, int i, StringBuilder output)
    {
        if (i + 1 >= pattern.Length) throw new TokenizerException($"regex '{pattern}' ends with '\\'");
        var kind = pattern[i + 1];
        if ((kind is 'p' or 'P') && i + 2 < pattern.Length && pattern[i + 2] == '{')
        {
            var close = pattern.IndexOf('}', i);
            if (close < 0) throw new TokenizerException($"regex '{pattern}' has an unterminated \\p{{");
            output.Append(pattern, i, close + 1 - i);
            return close + 1;
        }
        if (kind == 'x' && i + 2 < pattern.Length && pattern[i + 2] == '{')
        {
            var close = pattern.IndexOf('}', i);
            if (close < 0 || !int.TryParse(pattern.AsSpan(i + 3, close - i - 3), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var code) || code > 0xFFFF)
                throw new TokenizerException($"regex '{pattern}' has an unsupported \\x{{...}} escape");
            output.Append(CultureInfo.InvariantCulture, $"\\u{code:X4}");
            return close + 1;
        }
        output.Append(pattern, i, 2);
        return i + 2;
    }

    private static int CopyClass(string pattern, int i, StringBuilder output)
    {
        var start = i;
        i++;
        if (i < pattern.Length && pattern[i] == '^') i++;
        if (i < pattern.Length && pattern[i] == ']') i++;
        output.Append(pattern, start, i - start);
        while (i < pattern.Length && pattern[i] != ']')
        {
            if (pattern[i] == '\\') i = CopyEscape(pattern, i, output);
            else if (pattern[i] == '[') throw new TokenizerException($"regex '{pattern}' uses a nested character class, which is not supported");
            else output.Append(pattern[i++]);
        }
        if (i >= pattern.Length) throw new TokenizerException($"regex '{pattern}' has an unterminated '['");
        output.Append(']');
        return i + 1;
    }

    private static char[] BuildStandIns()
    {
        var map = new char[30];
        map[(int)UnicodeCategory.UppercaseLetter] = '\uA7B4';
        map[(int)UnicodeCategory.LowercaseLetter] = '\uA7B5';
        map[(int)UnicodeCategory.TitlecaseLetter] = '\u01C5';
        map[(int)UnicodeCategory.ModifierLetter] = '\uA7F8';
        map[(int)UnicodeCategory.OtherLetter] = '\uA000';
        map[(int)UnicodeCategory.NonSpacingMark] = '\u1DC0';
        map[(int)UnicodeCategory.SpacingCombiningMark] = '\u0903';
        map[(int)UnicodeCategory.EnclosingMark] = '\u20DD';
        map[(int)UnicodeCategory.DecimalDigitNumber] = '\u0660';
        map[(int)UnicodeCategory.LetterNumber] = '\u2160';
        map[(int)UnicodeCategory.OtherNumber] = '\u2460';
        map[(int)UnicodeCategory.SpaceSeparator] = '\u2007';
        map[(int)UnicodeCategory.LineSeparator] = '\u2028';
        map[(int)UnicodeCategory.ParagraphSeparator] = '\u2029';
        map[(int)UnicodeCategory.Control] = '\u0080';
        map[(int)UnicodeCategory.Format] = '\u2060';
        map[(int)UnicodeCategory.Surrogate] = '\uFFFD';
        map[(int)UnicodeCategory.PrivateUse] = '\uE000';
        map[(int)UnicodeCategory.ConnectorPunctuation] = '\u203F';
        map[(int)UnicodeCategory.DashPunctuation] = '\u2010';
        map[(int)UnicodeCategory.OpenPunctuation] = '\u2045';
        map[(int)UnicodeCategory.ClosePunctuation] = '\u2046';
        map[(int)UnicodeCategory.InitialQuotePunctuation] = '\u2039';
        map[(int)UnicodeCategory.FinalQuotePunctuation] = '\u203A';
        map[(int)UnicodeCategory.OtherPunctuation] = '\u203B';
        map[(int)UnicodeCategory.MathSymbol] = '\u2A00';
        map[(int)UnicodeCategory.CurrencySymbol] = '\u20A0';
        map[(int)UnicodeCategory.ModifierSymbol] = '\u02C2';
        map[(int)UnicodeCategory.OtherSymbol] = '\u2600';
        map[(int)UnicodeCategory.OtherNotAssigned] = '\u0378';
        return map;
    }
}
