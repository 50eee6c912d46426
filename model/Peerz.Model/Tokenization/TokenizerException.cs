namespace Peerz.Model.Tokenization;

/// <summary>A tokenizer file is malformed or unsupported, or ids cannot be decoded.</summary>
public sealed class TokenizerException(string message, Exception? inner = null) : Exception(message, inner);
