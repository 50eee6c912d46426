using System.Text.Json;
using System.Text.Json.Serialization;

namespace Peerz.Settlement.Http;

/// <summary>JSON settings shared by the server and <see cref="SettlementClient"/>: integers may be strings, unknown fields are errors.</summary>
public static class SettlementJson
{
    public static JsonSerializerOptions Options { get; } = new()
    {
        NumberHandling = JsonNumberHandling.AllowReadingFromString,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };
}
