using System.Text;

namespace Peerz.Model.Tests.Tokenization;

/// <summary>Texts the tokenizer tests encode: hand-picked cases plus seeded random Unicode strings.</summary>
public static class TokenizerCorpus
{
    public static readonly string[] Fixed =
    [
        "Hello, world!",
        "The quick brown fox jumps over the lazy dog.",
        "  leading spaces and trailing   ",
        "tabs\tand\nnew\r\nlines\n\n\nblank\r\r\n \n",
        "Numbers: 3.14159, 1234567890, -42, 1e-9, 0x1F, 007, 1,000,000.00",
        "def f(x):\n    return x ** 2  # square\n\n\tif x != 0: pass\n",
        "fn main() { let v: Vec<u32> = (0..10).map(|i| i * i).collect(); println!(\"{v:?}\"); }",
        "Ünïcödé àccents, naïve café, Straße, ÀÉÎÕÜ, e\u0301 (combining)",
        "中文分词测试，日本語のテキスト、한국어 문장",
        "Emoji 🦙🚀👩‍👩‍👧‍👦 and symbols ∑∫√ ≠ ≤ 🇫🇷 ✔️",
        "I'm sure they'll say we've done what you'd DO, it's HE'S and She'LL",
        "URL https://example.com/path?q=1&r=two#frag <b>bold</b> {\"k\": [1, 2]}",
        "<|begin_of_text|>Hello<|end_of_text|> <s>Hi</s> <|eot_id|>",
        "<s>",
        "",
        " ",
        "a",
        "                                                     many spaces",
        "\u00A0non-breaking\u2003em space\u3000ideographic space",
        "𝐀𝐁𝐂 math letters, 𝟎𝟏𝟐 math digits, 𠀀𠀁 extension B",
        "ﬁ ligature, Ｆｕｌｌｗｉｄｔｈ, ½ ² Ⅻ",
        "مرحبا بالعالم ١٢٣ שלום עולם हिन्दी ९८७",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "1234567890123456789012345678901234567890",
        "!!!???...---===+++***",
    ];

    // Code point ranges drawn from: long-assigned characters only, so that the Unicode tables of .NET
    // and Node (ICU) agree. Excluded: U+FEFF, which JavaScript's \s matches but Oniguruma's (and
    // .NET's) does not, and U+017F (long s), which case-folds to "s" in Oniguruma's (?i) but not in the
    // reference's rewritten pattern; both are documented differences of the reference, not ours.
    private static readonly (int From, int To, int Weight)[] Ranges =
    [
        (0x20, 0x7E, 40), (0x09, 0x0A, 4), (0x0D, 0x0D, 1), (0xA0, 0xFF, 4), (0x100, 0x17E, 2),
        (0x391, 0x3C9, 2), (0x410, 0x44F, 2), (0x5D0, 0x5EA, 1), (0x627, 0x64A, 1), (0x660, 0x669, 1),
        (0x905, 0x939, 1), (0x966, 0x96F, 1), (0x300, 0x36F, 2), (0x2000, 0x200A, 1), (0x2010, 0x2027, 1),
        (0x3000, 0x3000, 1), (0x2200, 0x22FF, 1), (0x3041, 0x3096, 2), (0x30A1, 0x30FA, 1), (0x4E00, 0x9FA5, 4),
        (0xAC00, 0xD7A3, 2), (0xFF01, 0xFF5E, 1), (0x1F300, 0x1F64F, 3), (0x1F680, 0x1F6C5, 1),
        (0x1D400, 0x1D454, 1), (0x1D7CE, 0x1D7FF, 1), (0x20000, 0x2A6D6, 1), (0x10400, 0x1044F, 1),
    ];

    private static readonly string[] Pieces = ["'s", "'LL", "'Ve", " ", "  ", "\n\n", "\r\n", "123", "<s>", "</s>", "<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>"];

    /// <summary><paramref name="count"/> random strings of 0–40 code points from a generator seeded with <paramref name="seed"/>.</summary>
    public static List<string> Random(int count, int seed)
    {
        var random = new Random(seed);
        var totalWeight = Ranges.Sum(r => r.Weight);
        var texts = new List<string>(count);
        for (var t = 0; t < count; t++)
        {
            var builder = new StringBuilder();
            var length = random.Next(0, 41);
            for (var i = 0; i < length; i++)
            {
                if (random.Next(12) == 0)
                {
                    builder.Append(Pieces[random.Next(Pieces.Length)]);
                    continue;
                }
                var pick = random.Next(totalWeight);
                var range = Ranges.First(r => (pick -= r.Weight) < 0);
                builder.Append(char.ConvertFromUtf32(random.Next(range.From, range.To + 1)));
            }
            texts.Add(builder.ToString());
        }
        return texts;
    }

    public static List<string> All(int seed) => [.. Fixed, .. Random(300, seed)];

    /// <summary>For logs: the text with control and non-ASCII characters escaped.</summary>
    public static string Escape(string text)
    {
        var builder = new StringBuilder();
        foreach (var rune in text.EnumerateRunes())
            builder.Append(rune.Value is >= 0x20 and < 0x7F ? rune.ToString() : $"\\u{{{rune.Value:X}}}");
        return builder.ToString();
    }
}
