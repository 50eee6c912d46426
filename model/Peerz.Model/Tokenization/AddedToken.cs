namespace Peerz.Model.Tokenization;

/// <summary>An entry of tokenizer.json's "added_tokens": matched in the raw text before any other stage.</summary>
public sealed record AddedToken(int Id, string Content, bool Special, bool LeftStrip, bool RightStrip);
