using static TorchSharp.torch;

namespace Peerz.Model.Blocks;

/// <summary>
/// Decode steps of several independent sessions in one forward pass over their shared span: each session brings one
/// position ([1, 1, hidden]) at its own position and keeps its own KV cache. Projections, MLPs and norms run over all
/// rows at once (one matrix product instead of N matrix-vector products); attention runs per session, since cache
/// lengths differ. The result equals each session's own <see cref="InferenceSession.Step"/> up to float rounding: the
/// ops are the same, but a matrix product over N rows may sum in a different order than over one.
/// </summary>
public static class BatchedDecode
{
    /// <summary>True when a step of <paramref name="session"/> with <paramref name="hidden"/> may join a batch: batch size 1, one position.</summary>
    public static bool IsDecodeStep(InferenceSession session, Tensor hidden) =>
        session.BatchSize == 1 && hidden.ndim == 3 && hidden.shape[0] == 1 && hidden.shape[1] == 1;

    /// <summary>
    /// True when steps of both sessions can share a forward pass (the same blocks of the same loaded weights, and no
    /// LoRA adapter or deep prompts: those are one session's own).
    /// </summary>
    public static bool CanShare(InferenceSession a, InferenceSession b) => !a.IsTuned && !b.IsTuned && a.Span.SharesBlocksWith(b.Span);

    /// <summary>
    /// Runs one decode step of each session (distinct sessions, all sharing blocks) and advances each by one position.
    /// Outputs are in each input's dtype, in the order given.
    /// </summary>
    public static Tensor[] Step(IReadOnlyList<InferenceSession> sessions, IReadOnlyList<Tensor> hidden)
    {
        if (sessions.Count != hidden.Count || sessions.Count == 0)
            throw new ArgumentException($"need one hidden state per session, got {hidden.Count} for {sessions.Count} sessions");
        if (sessions.Distinct().Count() != sessions.Count)
            throw new ArgumentException("a session may bring at most one step to a batch");
        var span = sessions[0].Span;
        for (var i = 0; i < sessions.Count; i++)
        {
            if (!IsDecodeStep(sessions[i], hidden[i]))
                throw new ArgumentException($"a batched step is one position of a batch-1 session, got [{string.Join(", ", hidden[i].shape)}]");
            if (!sessions[i].Span.SharesBlocksWith(span) || sessions[i].IsTuned)
                throw new ArgumentException("sessions of one batch must run on the same blocks, without adapters or deep prompts");
            sessions[i].CheckStep(hidden[i]);
        }
        Tensor[] outputs;
        RoutedExperts? routed;
        using (var scope = NewDisposeScope())
        using (var routing = span.Config.IsMixtureOfExperts ? ExpertRouting.Record() : null)
        {
            var stacked = cat(hidden.Select(h => h.to_type(span.Options.DType)).ToArray(), 0);
            var output = span.RunDecodeBatch(stacked, sessions.Select(s => s.Position).ToArray(), sessions.Select(s => s.Caches).ToArray());
            outputs = hidden.Select((h, i) => output.narrow(0, i, 1).to_type(h.dtype).MoveToOuterDisposeScope()).ToArray();
            routed = routing is null ? null : RoutedExperts.From(routing.Chosen);
        }
        // Row i of the batch is session i's one position.
        for (var i = 0; i < sessions.Count; i++) sessions[i].Advance(1, routed?.Rows(i, 1));
        return outputs;
    }
}
