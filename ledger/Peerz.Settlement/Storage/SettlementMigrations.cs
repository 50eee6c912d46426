using Peerz.Ledger.Storage;

namespace Peerz.Settlement.Storage;

/// <summary>The settlement store's schema, in order. Amounts are decimal strings (uint256 does not fit SQLite integers).</summary>
public static class SettlementMigrations
{
    public static IReadOnlyList<Migration> All { get; } =
    [
        new(1, "contributions, epochs, rewards", """
            CREATE TABLE contributions (
                key BLOB PRIMARY KEY,
                epoch INTEGER NOT NULL,
                account TEXT NOT NULL,
                role INTEGER NOT NULL,
                units INTEGER NOT NULL CHECK (units > 0),
                recorded_at INTEGER NOT NULL
            ) WITHOUT ROWID;
            CREATE INDEX contributions_by_epoch ON contributions (epoch, role, account);
            CREATE TABLE epochs (
                epoch INTEGER PRIMARY KEY,
                state TEXT NOT NULL CHECK (state IN ('computed', 'posted', 'published')),
                root BLOB NOT NULL,
                total TEXT NOT NULL,
                pool TEXT NOT NULL,
                unallocated TEXT NOT NULL,
                weights TEXT NOT NULL,
                role_pools TEXT NOT NULL,
                role_allocated TEXT NOT NULL,
                excluded_providers TEXT NOT NULL,
                tx_hash BLOB,
                updated_at INTEGER NOT NULL
            );
            CREATE INDEX epochs_by_state ON epochs (state, epoch);
            CREATE TABLE rewards (
                epoch INTEGER NOT NULL REFERENCES epochs (epoch),
                account TEXT NOT NULL,
                amount TEXT NOT NULL,
                proof TEXT NOT NULL,
                PRIMARY KEY (epoch, account)
            ) WITHOUT ROWID;
            """),
    ];
}
