using Peerz.Ledger.Storage;

namespace Peerz.Ledger.Payments;

/// <summary>
/// The provider's ledger schema. Amounts and nonces are uint256, stored as decimal text and compared in code.
/// clients: per (escrow, client) the total charged, the best voucher held and what is redeemed on chain.
/// vouchers: every accepted voucher (audit trail). steps: payloads of recent steps for verifiers.
/// redemptions: the redemption journal (a row is written before the transaction is sent).
/// sessions: per payload session its paying client (who may read it back) and when its last step was recorded
/// (retention counts from there, so a long session is kept whole).
/// </summary>
internal static class ProviderLedgerSchema
{
    public static readonly IReadOnlyList<Migration> Migrations =
    [
        new(1, "payments and payloads", """
            CREATE TABLE clients (
                escrow TEXT NOT NULL,
                client TEXT NOT NULL,
                charged TEXT NOT NULL,
                best_cumulative TEXT NOT NULL,
                best_nonce TEXT NOT NULL,
                best_signature BLOB NOT NULL,
                redeemed_cumulative TEXT NOT NULL DEFAULT '0',
                redeemed_nonce TEXT NOT NULL DEFAULT '0',
                PRIMARY KEY (escrow, client));
            CREATE TABLE vouchers (
                id INTEGER PRIMARY KEY,
                escrow TEXT NOT NULL,
                client TEXT NOT NULL,
                cumulative TEXT NOT NULL,
                nonce TEXT NOT NULL,
                cost TEXT NOT NULL,
                signature BLOB NOT NULL,
                received_at INTEGER NOT NULL);
            CREATE INDEX vouchers_by_client ON vouchers (escrow, client, id);
            CREATE TABLE steps (
                session_id BLOB NOT NULL,
                step INTEGER NOT NULL,
                input BLOB NOT NULL,
                output BLOB NOT NULL,
                receipt BLOB NOT NULL,
                recorded_at INTEGER NOT NULL,
                PRIMARY KEY (session_id, step));
            CREATE INDEX steps_by_time ON steps (recorded_at);
            CREATE TABLE redemptions (
                id INTEGER PRIMARY KEY,
                escrow TEXT NOT NULL,
                client TEXT NOT NULL,
                cumulative TEXT NOT NULL,
                nonce TEXT NOT NULL,
                state TEXT NOT NULL CHECK (state IN ('sending', 'confirmed', 'failed')),
                tx_hash TEXT,
                detail TEXT,
                created_at INTEGER NOT NULL,
                updated_at INTEGER NOT NULL);
            CREATE INDEX redemptions_by_client ON redemptions (escrow, client, id);
            """),
        new(2, "payload sessions: paying client and last step time", """
            CREATE TABLE sessions (
                session_id BLOB PRIMARY KEY,
                client TEXT NOT NULL,
                last_recorded_at INTEGER NOT NULL);
            CREATE INDEX sessions_by_time ON sessions (last_recorded_at);
            INSERT INTO sessions (session_id, client, last_recorded_at)
                SELECT session_id, '0x0000000000000000000000000000000000000000', MAX(recorded_at) FROM steps GROUP BY session_id;
            """),
    ];
}
