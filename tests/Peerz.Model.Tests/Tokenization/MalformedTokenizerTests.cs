using Peerz.Model.Tokenization;

namespace Peerz.Model.Tests.Tokenization;

/// <summary>Broken tokenizer.json files give a TokenizerException naming the file and the fault.</summary>
public sealed class MalformedTokenizerTests : IDisposable
{
    private const string Vocab = """{"a": 0, "b": 1, "ab": 2}""";
    private readonly string _directory = Directory.CreateTempSubdirectory("peerz-bad-tokenizer-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    public static TheoryData<string, string> Cases => new()
    {
        { "{", "not valid JSON" },
        { "[]", "top level" },
        { "{}", "\"model\" is missing" },
        { """{"model": {"type": "WordPiece", "vocab": {}}}""", "model type 'WordPiece'" },
        { """{"model": {"type": "BPE", "merges": []}}""", "vocab" },
        { """{"model": {"type": "BPE", "vocab": {"a": "x"}, "merges": []}}""", "vocab entry 'a'" },
        { $$$"""{"model": {"type": "BPE", "vocab": {{{Vocab}}}}}""", "merges" },
        { $$$"""{"model": {"type": "BPE", "vocab": {{{Vocab}}}, "merges": ["a b c"]}}""", "merge 0 'a b c'" },
        { $$$"""{"model": {"type": "BPE", "vocab": {{{Vocab}}}, "merges": ["a x"]}}""", "not in the vocabulary" },
        { $$$"""{"model": {"type": "BPE", "vocab": {{{Vocab}}}, "merges": [["b", "a"]]}}""", "produces 'ba'" },
        { $$$"""{"model": {"type": "BPE", "vocab": {{{Vocab}}}, "merges": [42]}}""", "merge 0" },
        { $$$"""{"model": {"type": "BPE", "vocab": {{{Vocab}}}, "merges": [], "unk_token": "<unk>"}}""", "unk_token" },
        { $$$"""{"normalizer": {"type": "Precompiled"}, "model": {"type": "BPE", "vocab": {{{Vocab}}}, "merges": []}}""", "normalizer type 'Precompiled'" },
        { $$$"""{"pre_tokenizer": {"type": "Split", "pattern": {"Regex": "(a"}, "behavior": "Isolated"}, "model": {"type": "BPE", "vocab": {{{Vocab}}}, "merges": []}}""", "unbalanced" },
        { $$$"""{"decoder": {"type": "Nope"}, "model": {"type": "BPE", "vocab": {{{Vocab}}}, "merges": []}}""", "decoder type 'Nope'" },
        { $$$"""{"post_processor": {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<s>"}}], "special_tokens": {}}, "model": {"type": "BPE", "vocab": {{{Vocab}}}, "merges": []}}""", "'<s>'" },
        { $$$"""{"added_tokens": [{"id": "x", "content": "<s>"}], "model": {"type": "BPE", "vocab": {{{Vocab}}}, "merges": []}}""", "added token" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Malformed_file_is_rejected_with_its_name(string json, string fault)
    {
        var path = Path.Combine(_directory, "tokenizer.json");
        File.WriteAllText(path, json);
        var error = Assert.Throws<TokenizerException>(() => Tokenizer.Load(path));
        Assert.Contains(path, error.Message);
        Assert.Contains(fault, error.Message);
    }

    [Fact]
    public void Missing_and_truncated_files_are_rejected()
    {
        var missing = Path.Combine(_directory, "absent", "tokenizer.json");
        Assert.Contains(missing, Assert.Throws<TokenizerException>(() => Tokenizer.Load(missing)).Message);
        var truncated = Path.Combine(_directory, "tokenizer.json");
        var full = TokenizerJsonWriter.BuildByteLevelBpe(300).Json;
        File.WriteAllBytes(truncated, full[..(full.Length / 2)]);
        Assert.Contains(truncated, Assert.Throws<TokenizerException>(() => Tokenizer.Load(truncated)).Message);
    }

    [Fact]
    public void Corrupted_files_load_or_fail_cleanly()
    {
        // Seeded byte flips and cuts of a valid file: each either loads or gives a TokenizerException.
        var valid = TokenizerJsonWriter.BuildByteLevelBpe(300).Json;
        var random = new Random(99);
        for (var i = 0; i < 200; i++)
        {
            var bytes = valid[..random.Next(1, valid.Length + 1)];
            for (var flips = random.Next(4); flips > 0; flips--) bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
            try
            {
                Tokenizer.Parse(bytes).Encode("corrupted? 123", addSpecialTokens: true);
            }
            catch (TokenizerException e)
            {
                Assert.StartsWith("tokenizer.json: ", e.Message);
            }
        }
    }

    [Fact]
    public void Ids_outside_the_vocabulary_are_skipped_and_lone_surrogates_become_replacement_characters()
    {
        var tokenizer = Tokenizer.Parse(TokenizerJsonWriter.BuildByteLevelBpe(300).Json);
        var hi = tokenizer.Encode("hi", addSpecialTokens: false);
        Assert.Equal("hi", tokenizer.Decode([-5, .. hi, 300, int.MaxValue]));
        Assert.Equal("x\uFFFDy", tokenizer.Decode(tokenizer.Encode("x\uD800y", addSpecialTokens: false)));
    }
}
