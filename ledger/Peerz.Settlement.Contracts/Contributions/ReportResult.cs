using System.Text.Json.Serialization;

namespace Peerz.Settlement.Contributions;

/// <summary>
/// The answer to an accepted report: which epoch and role it counts for, its units (decimal: PRZ wei a receipt
/// states as paid, credited at close up to what was redeemed; 1 for a verification), and whether it was already known.
/// </summary>
public sealed record ReportResult(
    [property: JsonPropertyName("epoch")] long Epoch,
    [property: JsonPropertyName("role")] string Role,
    [property: JsonPropertyName("units")] string Units,
    [property: JsonPropertyName("duplicate")] bool Duplicate,
    [property: JsonPropertyName("key")] string Key);
