using Peerz.Protocol.Payments;

namespace Peerz.Verifier.Probing;

/// <summary>
/// The shapes of recent real traffic, taken from reported receipts (kind, tokens per request, steps per session), so
/// probes look like what clients send rather than like a verifier. Keeps the last <paramref name="capacity"/>, each
/// receipt once (reporting one receipt many times does not weigh its shape more).
/// </summary>
public sealed class TrafficShapes(int capacity = 256)
{
    private readonly Lock _lock = new();
    private readonly Queue<(string Session, ProbeShape Shape)> _recent = new();
    private readonly HashSet<string> _sessions = [];

    public void Observe(SignedReceipt receipt)
    {
        ArgumentNullException.ThrowIfNull(receipt);
        var kind = receipt.Kind == WorkKind.Inference ? WorkKind.Inference : WorkKind.Forward;
        var shape = new ProbeShape(kind, (int)Math.Clamp(receipt.Receipt.Tokens, 1u, 4096u), (int)Math.Min(receipt.Receipt.Step, 64));
        var key = $"{Convert.ToHexString(receipt.Receipt.SessionId)}/{receipt.Receipt.Step}";
        lock (_lock)
        {
            if (!_sessions.Add(key)) return;
            _recent.Enqueue((key, shape));
            if (_recent.Count > capacity) _sessions.Remove(_recent.Dequeue().Session);
        }
    }

    /// <summary>A recent shape, or a short request of either kind when nothing was reported yet.</summary>
    public ProbeShape Draw(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        lock (_lock)
            if (_recent.Count > 0) return _recent.ElementAt(random.Next(_recent.Count)).Shape;
        return new ProbeShape(random.Next(2) == 0 ? WorkKind.Inference : WorkKind.Forward, 1 + random.Next(16), random.Next(8));
    }
}

/// <summary>A probe's shape: its kind, tokens in its first request (the prompt, or the forward batch), and for a session the decode steps after it.</summary>
public sealed record ProbeShape(WorkKind Kind, int Tokens, int DecodeSteps);
