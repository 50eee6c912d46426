namespace Peerz.Model.Tokenization;

/// <summary>The small English text the tiny tokenizer's merges are learned from (written for Peerz).</summary>
internal static class TinyTrainingText
{
    public const string Text = """
        Peerz is a network of computers that run a large language model together. No single machine
        holds the whole model: each provider serves a span of transformer blocks, and a client sends
        its hidden states from one provider to the next until the last block has run. The client then
        turns the final hidden state into the probabilities of the next token and picks one.

        The quick brown fox jumps over the lazy dog. The dog does not mind; it has seen the fox before.
        A small model is useful for tests, for demos and for measuring the speed of the network. It is
        made from random weights with a fixed seed, so that every run of the tests sees the same model,
        the same tokens and the same text.

        When a provider answers, it signs a receipt that names the session, the step, the blocks it ran
        and the hashes of its input and its output. A verifier picks some of these receipts at random,
        asks for the data, runs the same blocks again and compares the results. Honest providers are paid
        for every token they serve; a provider that cheats loses its stake.

        There are many ways to split a sentence into tokens. This tokenizer first cuts the text into
        words, numbers, spaces and punctuation, then writes every word as bytes and joins the most
        frequent pairs of bytes into longer and longer pieces. The first merges join common letters,
        such as "t" and "h", then common words such as "the", "and", "of" and "to".

        Numbers like 1, 2, 3, 10, 42, 100 and 2026 are split into groups of at most three digits.
        Questions? Answers! Lists: one, two, three. Quotes: "yes", 'no'. Code: x = y + 1; print(x).
        """;
}
