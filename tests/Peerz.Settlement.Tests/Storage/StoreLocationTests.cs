using Npgsql;
using Peerz.Settlement.Storage;

namespace Peerz.Settlement.Tests.Storage;

public sealed class StoreLocationTests
{
    [Theory]
    [InlineData("postgres://u@h/db", true)]
    [InlineData("PostgreSQL://u@h/db", true)]
    [InlineData("/var/lib/peerz/settlement.db", false)]
    [InlineData("settlement.db", false)]
    [InlineData("Host=db;Database=settlement", false)]
    public void Only_a_postgres_URL_selects_PostgreSQL_and_anything_else_is_a_SQLite_path(string location, bool postgres) =>
        Assert.Equal(postgres, StoreLocation.IsPostgres(location));

    [Fact]
    public void A_URL_becomes_the_connection_settings_it_names()
    {
        var settings = new NpgsqlConnectionStringBuilder(StoreLocation.PostgresConnectionString(
            "postgres://peerz:p%40ss%3Aword@db.example:6543/settlement?sslmode=require&application_name=settle"));
        Assert.Equal(("db.example", 6543, "settlement", "peerz", "p@ss:word", SslMode.Require, "settle"),
            (settings.Host, settings.Port, settings.Database, settings.Username, settings.Password, settings.SslMode, settings.ApplicationName));

        var socket = new NpgsqlConnectionStringBuilder(StoreLocation.PostgresConnectionString("postgresql://postgres@localhost/s?host=%2Frun%2Fpostgresql"));
        Assert.Equal(("/run/postgresql", 5432, "s"), (socket.Host, socket.Port, socket.Database));
    }

    [Theory]
    [InlineData("postgres://peerz:secret@db/", "names no database")]
    [InlineData("postgres://peerz:secret@db/settlement?colour=blue", "'colour=blue' is not a connection setting")]
    public void A_bad_URL_is_reported_in_one_readable_line_without_its_password(string url, string expected)
    {
        var error = Assert.Throws<FormatException>(() => StoreLocation.PostgresConnectionString(url));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void Describing_a_location_hides_only_the_password() =>
        Assert.Equal("postgres://peerz:***@db:5432/settlement", StoreLocation.Describe("postgres://peerz:secret@db:5432/settlement"));

    [Fact]
    public async Task An_unreachable_PostgreSQL_store_is_reported_in_one_line_naming_it_without_its_password()
    {
        // Port 1 on loopback: nothing listens, so the connection is refused at once.
        var error = await Assert.ThrowsAsync<StoreUnavailableException>(() => SettlementStore.OpenAsync("postgres://peerz:secret@127.0.0.1:1/settlement", CancellationToken.None));
        Assert.StartsWith("cannot open the settlement store postgres://peerz:***@127.0.0.1:1/settlement: ", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }
}
