using System.Text.Json.Serialization;

namespace Peerz.Settlement.Contributions;

/// <summary>The answer to an accepted report: which epoch and role it counts for, its units, and whether it was already known.</summary>
public sealed record ReportResult(
    [property: JsonPropertyName("epoch")] long Epoch,
    [property: JsonPropertyName("role")] string Role,
    [property: JsonPropertyName("units")] long Units,
    [property: JsonPropertyName("duplicate")] bool Duplicate,
    [property: JsonPropertyName("key")] string Key);
