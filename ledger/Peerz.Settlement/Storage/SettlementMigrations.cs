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

        // Issue 22: receipts are credited by the PRZ they were paid (big integers, kept as bounded decimal text and
        // summed in BigInteger, never by SQL SUM), backed per (provider, client) by on-chain redemptions; rewards
        // have one leaf per (account, role). Version-1 receipt rows carry no client or amount, so they can never be
        // backed, and version-1 rewards are leaves the role-tagged contract cannot verify: both are dropped.
        new(2, "paid receipts, pair credits, role-tagged rewards", """
            DELETE FROM contributions WHERE role IN (0, 1);
            CREATE TABLE receipts (
                digest BLOB PRIMARY KEY,
                epoch INTEGER NOT NULL,
                provider TEXT NOT NULL,
                client TEXT NOT NULL,
                role INTEGER NOT NULL CHECK (role IN (0, 1)),
                amount TEXT NOT NULL CHECK (length(amount) BETWEEN 1 AND 78 AND amount NOT GLOB '*[^0-9]*'),
                recorded_at INTEGER NOT NULL
            ) WITHOUT ROWID;
            CREATE INDEX receipts_by_epoch ON receipts (epoch, provider, client);
            CREATE TABLE pair_credits (
                provider TEXT NOT NULL,
                client TEXT NOT NULL,
                epoch INTEGER NOT NULL REFERENCES epochs (epoch),
                claimed TEXT NOT NULL CHECK (length(claimed) BETWEEN 1 AND 90 AND claimed NOT GLOB '*[^0-9]*'),
                credited TEXT NOT NULL CHECK (length(credited) BETWEEN 1 AND 90 AND credited NOT GLOB '*[^0-9]*'),
                PRIMARY KEY (provider, client, epoch)
            ) WITHOUT ROWID;
            DROP TABLE rewards;
            CREATE TABLE rewards (
                epoch INTEGER NOT NULL REFERENCES epochs (epoch),
                account TEXT NOT NULL,
                role INTEGER NOT NULL CHECK (role BETWEEN 0 AND 3),
                amount TEXT NOT NULL,
                proof TEXT NOT NULL,
                PRIMARY KEY (epoch, account, role)
            ) WITHOUT ROWID;
            """),
        // The protocol fee each pair's credited work paid (issue 18, self-dealing): the base of its reward cap.
        // Credits of epochs closed before have no fee recorded, i.e. no fee backing used.
        new(3, "fee credited per pair", """
            ALTER TABLE pair_credits ADD COLUMN fee_credited TEXT NOT NULL DEFAULT '0'
                CHECK (length(fee_credited) BETWEEN 1 AND 90 AND fee_credited NOT GLOB '*[^0-9]*');
            """),
    ];
}
