using System.Text.Json.Serialization;

namespace Peerz.Settlement.Http;

/// <summary>The body of every 4xx/5xx answer.</summary>
public sealed record SettlementError([property: JsonPropertyName("error")] string Error);
