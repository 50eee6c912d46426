using Peerz.Ledger.Storage;

namespace Peerz.Ledger.Payments;

/// <summary>
/// The client's ledger schema. providers: per (escrow, provider) the cumulative amount signed so far and the
/// last nonce. receipts: every receipt accepted, by digest (what was bought, and the evidence for verifiers).
/// </summary>
internal static class ClientLedgerSchema
{
    public static readonly IReadOnlyList<Migration> Migrations =
    [
        new(1, "vouchers issued and receipts received", """
            CREATE TABLE providers (
                escrow TEXT NOT NULL,
                provider TEXT NOT NULL,
                cumulative TEXT NOT NULL,
                nonce TEXT NOT NULL,
                PRIMARY KEY (escrow, provider));
            CREATE TABLE receipts (
                digest BLOB PRIMARY KEY,
                escrow TEXT NOT NULL,
                provider TEXT NOT NULL,
                session_id BLOB NOT NULL,
                step INTEGER NOT NULL,
                cost TEXT NOT NULL,
                receipt BLOB NOT NULL,
                received_at INTEGER NOT NULL);
            CREATE INDEX receipts_by_provider ON receipts (escrow, provider, received_at);
            CREATE INDEX receipts_by_session ON receipts (session_id, step);
            """),
    ];
}
