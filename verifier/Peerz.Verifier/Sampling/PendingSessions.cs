using Google.Protobuf;
using Peerz.Chain.Primitives;
using Peerz.Protocol.Payments;
using Peerz.Verifier.Storage;

namespace Peerz.Verifier.Sampling;

/// <summary>
/// Sampled sessions waiting for their check. The verifier does not know when a session ends, so it keeps, per session
/// (<see cref="SessionKey"/>), the latest reported receipt, and releases it for checking once the session has been quiet
/// (no newer step reported) for the quiet period, or at the latest a quarter of the provider's retention window after
/// the first report, so a session that never goes quiet is still checked while its payload is kept. Checking the latest
/// receipt compares every step up to it. A newer step reported after a check makes the session pending again (its next
/// check replays the whole session: the payload protocol and the recomputation start at step 0). At most the capacity
/// of sessions are pending; beyond that new ones are refused, never old ones dropped. Kept in the ledger, so a restart
/// loses none.
/// </summary>
public sealed class PendingSessions
{
    private readonly Dictionary<string, Pending> _sessions = [];
    private readonly VerifierLedger _ledger;
    private readonly TimeSpan _quiet;
    private readonly int _capacity;
    private readonly TimeProvider _time;

    private PendingSessions(VerifierLedger ledger, TimeSpan quiet, int capacity, TimeProvider time) => (_ledger, _quiet, _capacity, _time) = (ledger, quiet, capacity, time);

    /// <summary>The pending sessions the ledger holds (after a restart, all of them are pending again, none queued).</summary>
    public static async Task<PendingSessions> OpenAsync(VerifierLedger ledger, TimeSpan quiet, int capacity, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        var sessions = new PendingSessions(ledger, quiet, capacity, time);
        foreach (var (bytes, reportedAt, dueBy, window) in await ledger.PendingSessionsAsync(cancellationToken))
        {
            var receipt = SignedReceipt.FromWire(Protocol.Wire.Receipt.Parser.ParseFrom(bytes));
            sessions._sessions[Hex.Encode(SessionKey.Of(receipt.Receipt))] = new(receipt, reportedAt, dueBy, window);
        }
        return sessions;
    }

    public int Count
    {
        get
        {
            lock (_sessions) return _sessions.Count;
        }
    }

    /// <summary>Whether this very receipt (same signed bytes, not just the same step) is its session's pending one: a repeated report.</summary>
    public bool Holds(SignedReceipt receipt, byte[] key)
    {
        ArgumentNullException.ThrowIfNull(receipt);
        SignedReceipt held;
        lock (_sessions)
        {
            if (!_sessions.TryGetValue(Hex.Encode(key), out var pending) || pending.Receipt.Receipt.Step != receipt.Receipt.Step) return false;
            held = pending.Receipt;
        }
        return held.Signature == receipt.Signature && held.ToWire().ToByteArray().AsSpan().SequenceEqual(receipt.ToWire().ToByteArray());
    }

    /// <summary>Takes a sampled receipt of a session whose steps up to it no check has covered yet.</summary>
    public async Task<IntakeResult> ReportAsync(SignedReceipt receipt, byte[] key, TimeSpan retention, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(receipt);
        var now = _time.GetUtcNow();
        Pending saved;
        lock (_sessions)
        {
            if (_sessions.TryGetValue(Hex.Encode(key), out var pending))
            {
                if (pending.Receipt.Receipt.Step >= receipt.Receipt.Step) return new(IntakeStatus.Duplicate, "this or a later step of the session is queued");
                pending.Receipt = receipt;
                pending.ReportedAt = now;
            }
            else if (_sessions.Count >= _capacity)
            {
                return new(IntakeStatus.QueueFull, "the verifier's queue is full; report again later");
            }
            else
            {
                pending = new(receipt, now, now + retention / 4, retention / 4);
                _sessions[Hex.Encode(key)] = pending;
            }
            saved = pending.Copy();
        }
        await SaveAsync(key, saved, cancellationToken);
        return new(IntakeStatus.Queued, "queued: checked once the session is quiet");
    }

    /// <summary>The latest receipts of sessions now due (quiet long enough, or at their deadline), each marked as queued.</summary>
    public IReadOnlyList<SignedReceipt> TakeDue()
    {
        var now = _time.GetUtcNow();
        lock (_sessions)
        {
            var due = _sessions.Values.Where(p => !p.Queued && (now - p.ReportedAt >= _quiet || now >= p.DueBy)).ToList();
            foreach (var pending in due) pending.Queued = true;
            return due.Select(p => p.Receipt).ToList();
        }
    }

    /// <summary>After a check of <paramref name="receipt"/>: the session is done unless a newer step came meanwhile (then it is pending again).</summary>
    public async Task CheckedAsync(SignedReceipt receipt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(receipt);
        var key = SessionKey.Of(receipt.Receipt);
        await _ledger.SessionCheckedAsync(key, receipt.Receipt.Step, cancellationToken);
        Pending saved;
        lock (_sessions)
        {
            if (!_sessions.TryGetValue(Hex.Encode(key), out var pending)) return;
            if (pending.Receipt.Receipt.Step <= receipt.Receipt.Step)
            {
                _sessions.Remove(Hex.Encode(key));
                return;
            }
            pending.Queued = false;
            pending.DueBy = _time.GetUtcNow() + pending.Window;
            saved = pending.Copy();
        }
        await SaveAsync(key, saved, cancellationToken);
    }

    private Task SaveAsync(byte[] key, Pending pending, CancellationToken cancellationToken) =>
        _ledger.SaveSessionAsync(key, pending.Receipt.Receipt.Provider.ToString(), pending.Receipt.ToWire().ToByteArray(), pending.Receipt.Receipt.Step, pending.ReportedAt,
            pending.DueBy, pending.Window, cancellationToken);

    private sealed class Pending(SignedReceipt receipt, DateTimeOffset reportedAt, DateTimeOffset dueBy, TimeSpan window)
    {
        public SignedReceipt Receipt { get; set; } = receipt;
        public DateTimeOffset ReportedAt { get; set; } = reportedAt;
        public DateTimeOffset DueBy { get; set; } = dueBy;
        /// <summary>How long after its first report since the last check the session is checked even if it never goes quiet.</summary>
        public TimeSpan Window { get; } = window;
        public bool Queued { get; set; }

        public Pending Copy() => new(Receipt, ReportedAt, DueBy, Window) { Queued = Queued };
    }
}
