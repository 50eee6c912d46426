using Peerz.Model.Tokenization;

namespace Peerz.Model.Tests.Tokenization;

/// <summary>
/// The Oniguruma → .NET translation. Expected matches follow the Oniguruma syntax documentation
/// (doc/RE: possessive "?+ *+ ++" do not backtrack; \p{L} is a code point property).
/// </summary>
public sealed class OnigurumaPatternTests
{
    private static string[] Pieces(string pattern, string text) =>
        new OnigurumaPattern(pattern).Matches(text).Select(m => text[m.Start..m.End]).ToArray();

    [Theory]
    [InlineData("a?+b", "(?>a?)b")]
    [InlineData(@"[^\s\p{L}]++x", @"(?>[^\s\p{L}]+)x")]
    [InlineData("(ab)*+c", "(?>(ab)*)c")]
    [InlineData(@"\p{N}{1,3}+", @"(?>\p{N}{1,3})")]
    [InlineData(@"\x{2581}", @"\u2581")]
    [InlineData(@"a+?b", @"a+?b")]
    [InlineData(@"(?i:'s|'t)", @"(?i:'s|'t)")]
    public void Possessive_quantifiers_become_atomic_groups(string oniguruma, string dotnet)
    {
        Assert.Equal(dotnet, OnigurumaPattern.Translate(oniguruma));
    }

    [Fact]
    public void Possessive_quantifier_does_not_give_back()
    {
        // "a*+a" can never match: the possessive a*+ keeps every "a".
        Assert.Empty(Pieces("a*+a", "aaaa"));
        Assert.Equal(["aaaa"], Pieces("a*a", "aaaa"));
    }

    [Fact]
    public void Letters_and_digits_outside_the_bmp_are_single_code_points()
    {
        // U+1D400 (Lu), U+20000 (Lo), U+1D7CE (Nd): one letter run, then digits; offsets are UTF-16.
        var text = "𝐀𠀀x𝟎𝟏";
        Assert.Equal(["𝐀𠀀x", "𝟎𝟏"], Pieces(@"\p{L}+|\p{N}+", text));
        // An emoji is one "other" code point, so it prefixes the following word as in Llama 3's regex.
        Assert.Equal(["🦙abc"], Pieces(@"[^\r\n\p{L}\p{N}]?\p{L}+", "🦙abc"));
    }

    [Theory]
    [InlineData("a[b")]
    [InlineData("(ab")]
    [InlineData("ab)")]
    [InlineData(@"\x{1F600}")]
    public void Unsupported_or_broken_patterns_are_refused(string pattern)
    {
        Assert.Throws<TokenizerException>(() => new OnigurumaPattern(pattern));
    }
}
