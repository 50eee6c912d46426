namespace Peerz.Model.Tiny;

/// <summary>English text the tiny model's tokenizer learns its merges from (written for Peerz).</summary>
public static class TinyCorpus
{
    public const string Text = """
        Peerz lets people run and fine-tune large language models that no one of them could host alone.
        Each provider serves a consecutive span of transformer blocks, and a client chains providers into
        a pipeline, sending hidden states from one to the next. The client keeps the embeddings and the
        language model head on its own machine, so it can steer generation, sample tokens and train soft
        prompts while the heavy blocks run on the swarm. When a provider fails in the middle of a session,
        the client finds another provider for the same blocks, replays the inputs it sent before, and the
        text continues as if nothing had happened. Providers stake tokens and sign a receipt for every
        answer; a verifier recomputes some of the answers, and a provider that cheats loses its stake.
        The weather was warm and the river was quiet. She walked along the path, counting the boats that
        drifted past the old stone bridge, and thought about the letters she would write in the morning.
        Numbers like 1, 2, 3, 10, 42, 100 and 2048 appear in code and in prose; so do words such as the,
        and, of, to, in, is, that, for, it, with, as, was, on, be, at, by, this, have, from, or, one.
        def generate(prompt, max_tokens=32):
            tokens = tokenizer.encode(prompt)
            for step in range(max_tokens):
                logits = model(tokens)
                tokens.append(sample(logits))
            return tokenizer.decode(tokens)
        """;
}
