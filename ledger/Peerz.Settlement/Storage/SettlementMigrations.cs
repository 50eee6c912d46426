using Peerz.Ledger.Storage;

namespace Peerz.Settlement.Storage;

/// <summary>
/// The settlement store's schema, in order: one list for both engines, each step written once with the few
/// engine-specific words taken from <see cref="SchemaDialect"/>. Amounts are decimal strings (uint256 fits neither
/// engine's integers).
/// </summary>
public static class SettlementMigrations
{
    public static IReadOnlyList<Migration> For(SchemaDialect d)
    {
        ArgumentNullException.ThrowIfNull(d);
        return
        [
            new(1, "contributions, epochs, rewards", $"""
                CREATE TABLE contributions (
                    key {d.Bytes} PRIMARY KEY,
                    epoch {d.Integer} NOT NULL,
                    account {d.Text} NOT NULL,
                    role {d.Integer} NOT NULL,
                    units {d.Integer} NOT NULL CHECK (units > 0),
                    recorded_at {d.Integer} NOT NULL
                ){d.WithoutRowId};
                CREATE INDEX contributions_by_epoch ON contributions (epoch, role, account);
                CREATE TABLE epochs (
                    epoch {d.Integer} PRIMARY KEY,
                    state {d.Text} NOT NULL CHECK (state IN ('computed', 'posted', 'published')),
                    root {d.Bytes} NOT NULL,
                    total {d.Text} NOT NULL,
                    pool {d.Text} NOT NULL,
                    unallocated {d.Text} NOT NULL,
                    weights {d.Text} NOT NULL,
                    role_pools {d.Text} NOT NULL,
                    role_allocated {d.Text} NOT NULL,
                    excluded_providers {d.Text} NOT NULL,
                    tx_hash {d.Bytes},
                    updated_at {d.Integer} NOT NULL
                );
                CREATE INDEX epochs_by_state ON epochs (state, epoch);
                CREATE TABLE rewards (
                    epoch {d.Integer} NOT NULL REFERENCES epochs (epoch),
                    account {d.Text} NOT NULL,
                    amount {d.Text} NOT NULL,
                    proof {d.Text} NOT NULL,
                    PRIMARY KEY (epoch, account)
                ){d.WithoutRowId};
                """),

            // Issue 22: receipts are credited by the PRZ they were paid (big integers, kept as bounded decimal text and
            // summed in BigInteger, never by SQL SUM), backed per (provider, client) by on-chain redemptions; rewards
            // have one leaf per (account, role). Version-1 receipt rows carry no client or amount, so they can never be
            // backed, and version-1 rewards are leaves the role-tagged contract cannot verify: both are dropped.
            new(2, "paid receipts, pair credits, role-tagged rewards", $"""
                DELETE FROM contributions WHERE role IN (0, 1);
                CREATE TABLE receipts (
                    digest {d.Bytes} PRIMARY KEY,
                    epoch {d.Integer} NOT NULL,
                    provider {d.Text} NOT NULL,
                    client {d.Text} NOT NULL,
                    role {d.Integer} NOT NULL CHECK (role IN (0, 1)),
                    amount {d.Text} NOT NULL CHECK (length(amount) BETWEEN 1 AND 78 AND {d.DigitsOnly("amount")}),
                    recorded_at {d.Integer} NOT NULL
                ){d.WithoutRowId};
                CREATE INDEX receipts_by_epoch ON receipts (epoch, provider, client);
                CREATE TABLE pair_credits (
                    provider {d.Text} NOT NULL,
                    client {d.Text} NOT NULL,
                    epoch {d.Integer} NOT NULL REFERENCES epochs (epoch),
                    claimed {d.Text} NOT NULL CHECK (length(claimed) BETWEEN 1 AND 90 AND {d.DigitsOnly("claimed")}),
                    credited {d.Text} NOT NULL CHECK (length(credited) BETWEEN 1 AND 90 AND {d.DigitsOnly("credited")}),
                    PRIMARY KEY (provider, client, epoch)
                ){d.WithoutRowId};
                DROP TABLE rewards;
                CREATE TABLE rewards (
                    epoch {d.Integer} NOT NULL REFERENCES epochs (epoch),
                    account {d.Text} NOT NULL,
                    role {d.Integer} NOT NULL CHECK (role BETWEEN 0 AND 3),
                    amount {d.Text} NOT NULL,
                    proof {d.Text} NOT NULL,
                    PRIMARY KEY (epoch, account, role)
                ){d.WithoutRowId};
                """),

            // The protocol fee each pair's credited work paid (issue 18, self-dealing): the base of its reward cap.
            // Credits of epochs closed before have no fee recorded, i.e. no fee backing used.
            new(3, "fee credited per pair", $"""
                ALTER TABLE pair_credits ADD COLUMN fee_credited {d.Text} NOT NULL DEFAULT '0'
                    CHECK (length(fee_credited) BETWEEN 1 AND 90 AND {d.DigitsOnly("fee_credited")});
                """),
        ];
    }
}
