using System.Text.RegularExpressions;
using Npgsql;

namespace Peerz.Settlement.Storage;

/// <summary>
/// The one rule that picks the settlement store's engine: a <c>postgres://</c> or <c>postgresql://</c> URL (libpq's
/// URI form, what psql and hosted PostgreSQL services hand out) is a PostgreSQL database; any other value is the
/// path of a SQLite file.
/// </summary>
public static partial class StoreLocation
{
    private static readonly string[] PostgresSchemes = ["postgres://", "postgresql://"];

    // libpq's parameter names where Npgsql spells them differently; others (host, port, password, …) are the same word.
    private static readonly Dictionary<string, string> NpgsqlKeywords = new(StringComparer.OrdinalIgnoreCase)
    {
        ["dbname"] = "Database",
        ["user"] = "Username",
        ["sslmode"] = "SSL Mode",
        ["application_name"] = "Application Name",
        ["connect_timeout"] = "Timeout",
    };

    public static bool IsPostgres(string location)
    {
        ArgumentNullException.ThrowIfNull(location);
        return PostgresSchemes.Any(scheme => location.StartsWith(scheme, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>
    /// The Npgsql connection string of a <c>postgres://user:password@host:port/database?name=value</c> URL. Query
    /// parameters are connection settings by their libpq names, e.g. <c>sslmode=require</c>, or <c>host=/run/postgresql</c>
    /// for a unix socket directory (it overrides the URL's host).
    /// </summary>
    /// <exception cref="FormatException">the URL is malformed or names an unknown setting</exception>
    public static string PostgresConnectionString(string url)
    {
        if (!IsPostgres(url) || !Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Host.Length == 0)
            throw new FormatException($"'{Describe(url)}' is not a PostgreSQL URL such as postgres://user:password@host:5432/database");
        var database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        if (database.Length == 0) throw new FormatException($"{Describe(url)} names no database (postgres://…/DATABASE)");
        var builder = new NpgsqlConnectionStringBuilder { Host = uri.Host, Database = database };
        if (!uri.IsDefaultPort && uri.Port > 0) builder.Port = uri.Port;
        if (uri.UserInfo.Length > 0)
        {
            var (user, password) = uri.UserInfo.Split(':', 2) is [var u, var p] ? (u, p) : (uri.UserInfo, null);
            builder.Username = Uri.UnescapeDataString(user);
            if (password is not null) builder.Password = Uri.UnescapeDataString(password);
        }

        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var (name, value) = pair.Split('=', 2) is [var n, var v] ? (Uri.UnescapeDataString(n), Uri.UnescapeDataString(v)) : (pair, "");
            try
            {
                builder[NpgsqlKeywords.GetValueOrDefault(name, name)] = value;
            }
            catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException)
            {
                throw new FormatException($"{Describe(url)}: '{name}={value}' is not a connection setting Peerz understands ({e.Message})", e);
            }
        }

        return builder.ConnectionString;
    }

    /// <summary>The location fit for logs and messages: a URL's password is replaced by ***.</summary>
    public static string Describe(string location)
    {
        ArgumentNullException.ThrowIfNull(location);
        return IsPostgres(location) ? UrlPassword().Replace(location, "$1***@", 1) : location;
    }

    [GeneratedRegex("^([a-z]+://[^:/@]*:)[^@]*@", RegexOptions.IgnoreCase)]
    private static partial Regex UrlPassword();
}
