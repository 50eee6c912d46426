using System.Globalization;

namespace Peerz.Settlement.Storage;

/// <summary>
/// Everything the settlement schema spells differently in SQLite and PostgreSQL; the rest of the migrations is common
/// SQL. Integers are 64-bit in both (SQLite's INTEGER is). Text compares byte by byte in both — SQLite's default
/// BINARY collation, PostgreSQL's "C" whatever the database's locale — so ORDER BY returns the same rows in the same
/// order. "Decimal digits only" is a GLOB in SQLite and a regular expression in PostgreSQL.
/// </summary>
public sealed record SchemaDialect(string Integer, string Bytes, string Text, string WithoutRowId, string DigitsOnlyFormat)
{
    public static SchemaDialect Sqlite { get; } = new("INTEGER", "BLOB", "TEXT", " WITHOUT ROWID", "{0} NOT GLOB '*[^0-9]*'");

    public static SchemaDialect Postgres { get; } = new("BIGINT", "BYTEA", "TEXT COLLATE \"C\"", "", "{0} !~ '[^0-9]'");

    /// <summary>A condition that holds when <paramref name="column"/> has no character other than 0–9.</summary>
    public string DigitsOnly(string column) => string.Format(CultureInfo.InvariantCulture, DigitsOnlyFormat, column);
}
