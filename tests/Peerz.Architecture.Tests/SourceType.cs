using System.Text.RegularExpressions;

namespace Peerz.Architecture.Tests;

/// <summary>
/// One top-level type of a C# file under tests/, read as text without comments and (but for its traits) string
/// contents: its project, base types, the type names it mentions, whether it starts a process itself, whether it holds
/// test methods, and the <c>[Trait("Category", …)]</c> values on the type itself (class level).
/// </summary>
public sealed partial record SourceType(
    string RelativePath,
    string Project,
    string Name,
    bool IsAbstract,
    IReadOnlySet<string> BaseTypes,
    IReadOnlySet<string> MentionedNames,
    bool StartsProcess,
    bool UsesChromium,
    bool HasTestMethods,
    IReadOnlySet<string> Categories)
{
    /// <summary>The top-level types of one file; nested types count as part of the type around them.</summary>
    public static IReadOnlyList<SourceType> Parse(string relativePath, string text)
    {
        // Both texts keep every position of the original, so one index serves both.
        var withStrings = Lexemes().Replace(text, m => m.Groups["comment"].Success ? Blank(m.Value) : m.Value);
        var code = Lexemes().Replace(text, m => Blank(m.Value));
        var starts = TopLevelDeclarations(code).ToList();
        var types = new List<SourceType>();
        for (var i = 0; i < starts.Count; i++)
        {
            var (attributesStart, declaration) = starts[i];
            var end = i + 1 < starts.Count ? starts[i + 1].AttributesStart : code.Length;
            var body = code[declaration.Index..end];
            types.Add(new SourceType(
                relativePath,
                relativePath.Split('/')[0],
                declaration.Groups["name"].Value,
                declaration.Groups["modifiers"].Value.Contains("abstract", StringComparison.Ordinal),
                declaration.Groups["bases"].Value.Split(',').Select(b => GenericOrArguments().Replace(b.Trim(), "")).Where(b => b.Length > 0).ToHashSet(),
                TypeName().Matches(body).Select(m => m.Value).Where(n => n != declaration.Groups["name"].Value).ToHashSet(),
                ProcessStart().IsMatch(body),
                code[attributesStart..end].Contains("[ChromiumFact", StringComparison.Ordinal),
                TestAttribute().IsMatch(body),
                CategoryTrait().Matches(withStrings[attributesStart..declaration.Index]).Select(m => m.Groups["category"].Value).ToHashSet()));
        }
        return types;
    }

    /// <summary>Declarations at brace depth 0 (files use file-scoped namespaces), each with where its attributes begin.</summary>
    private static IEnumerable<(int AttributesStart, Match Declaration)> TopLevelDeclarations(string code)
    {
        var depth = 0;
        var position = 0;
        foreach (Match declaration in Declaration().Matches(code))
        {
            for (; position < declaration.Index; position++)
                depth += code[position] switch { '{' => 1, '}' => -1, _ => 0 };
            if (depth != 0) continue;
            var attributes = AttributesBefore().Match(code[..declaration.Index]);
            yield return (attributes.Success ? attributes.Index : declaration.Index, declaration);
        }
    }

    private static string Blank(string lexeme) => Regex.Replace(lexeme, @"[^\n]", " ");

    /// <summary>Comments and string or character literals, matched together so that neither is mistaken for the other.</summary>
    [GeneratedRegex(@"(?<comment>//[^\n]*|/\*.*?\*/)|"""""".*?""""""|@""(?:""""|[^""])*""|""(?:\\.|[^""\\\n])*""|'(?:\\.|[^'\\\n])*'", RegexOptions.Singleline)]
    private static partial Regex Lexemes();

    [GeneratedRegex(@"(?<modifiers>(?:\b(?:public|internal|private|file|sealed|abstract|static|partial|readonly)\s+)*)\b(?:class|record|struct|interface|enum)\s+(?<name>[A-Za-z_]\w*)(?:<[^>]*>)?(?:\s*\([^)]*\))?(?:\s*:\s*(?<bases>[^{;]+))?")]
    private static partial Regex Declaration();

    /// <summary>The attribute lists right before a declaration (and its modifiers), up to the end of the text given.</summary>
    [GeneratedRegex(@"(?:\[[^\[\]]*(?:\[[^\]]*\][^\[\]]*)*\]\s*)+$")]
    private static partial Regex AttributesBefore();

    [GeneratedRegex(@"<.*$|\(.*$|\s+where\s.*$", RegexOptions.Singleline)]
    private static partial Regex GenericOrArguments();

    [GeneratedRegex(@"\b[A-Z]\w*")]
    private static partial Regex TypeName();

    /// <summary>Every way a test here starts another program: System.Diagnostics.Process directly or a start info for it.</summary>
    [GeneratedRegex(@"\bProcess\.Start\s*\(|\bnew\s+Process\s*\(|\bProcessStartInfo\b")]
    private static partial Regex ProcessStart();

    [GeneratedRegex(@"\[\s*(?:Fact|Theory|SkippableFact|SkippableTheory|ChromiumFact|NetworkLabFact)\b")]
    private static partial Regex TestAttribute();

    [GeneratedRegex(@"\[\s*Trait\s*\(\s*""Category""\s*,\s*""(?<category>\w+)""\s*\)\s*\]")]
    private static partial Regex CategoryTrait();
}
