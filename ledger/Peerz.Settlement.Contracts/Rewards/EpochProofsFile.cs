using System.Text.Json;
using System.Text.Json.Serialization;

namespace Peerz.Settlement.Rewards;

/// <summary>
/// The published proofs of one epoch (<c>epoch-N.json</c>): the posted root, total and role totals
/// (<c>roleAllocated</c>, what postRoot carried), the weights in force, the providers excluded by registry state,
/// and every account's claims, one per role. Anyone can check it against EpochRewards.getEpoch/roleTotals and claim from it.
/// </summary>
public sealed record EpochProofsFile(
    [property: JsonPropertyName("epoch")] long Epoch,
    [property: JsonPropertyName("root")] string Root,
    [property: JsonPropertyName("total")] string Total,
    [property: JsonPropertyName("pool")] string Pool,
    [property: JsonPropertyName("unallocated")] string Unallocated,
    [property: JsonPropertyName("weights")] IReadOnlyList<string> Weights,
    [property: JsonPropertyName("rolePools")] IReadOnlyList<string> RolePools,
    [property: JsonPropertyName("roleAllocated")] IReadOnlyList<string> RoleAllocated,
    [property: JsonPropertyName("excludedProviders")] IReadOnlyList<string> ExcludedProviders,
    [property: JsonPropertyName("transactionHash")] string? TransactionHash,
    [property: JsonPropertyName("claims")] IReadOnlyDictionary<string, IReadOnlyList<RoleClaim>> Claims)
{
    /// <summary>Proof files above this size are refused (10,000 accounts in every role with 16-deep proofs take about 50 MB).</summary>
    public const long MaxFileLength = 256L * 1024 * 1024;

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static string FileName(long epoch) => $"epoch-{epoch}.json";

    /// <summary>Writes to a temporary file and renames it, so a reader never sees half a file.</summary>
    public async Task WriteAsync(string path, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var temporary = path + ".tmp";
        await using (var stream = File.Create(temporary))
        {
            await JsonSerializer.SerializeAsync(stream, this, Indented, cancellationToken).ConfigureAwait(false);
            await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: true);
    }

    /// <exception cref="FormatException">The file is too large or not a proofs file.</exception>
    public static async Task<EpochProofsFile> ReadAsync(string path, CancellationToken cancellationToken)
    {
        var info = new FileInfo(path);
        if (!info.Exists) throw new FileNotFoundException($"no proofs file at {path}", path);
        if (info.Length > MaxFileLength) throw new FormatException($"{path} is larger than {MaxFileLength} bytes");
        await using var stream = File.OpenRead(path);
        try
        {
            return await JsonSerializer.DeserializeAsync<EpochProofsFile>(stream, cancellationToken: cancellationToken).ConfigureAwait(false)
                ?? throw new FormatException($"{path} holds JSON null");
        }
        catch (JsonException e)
        {
            throw new FormatException($"{path} is not a proofs file: {e.Message}", e);
        }
    }

    public ClaimProof? ProofOf(string account)
    {
        foreach (var (key, claims) in Claims ?? new Dictionary<string, IReadOnlyList<RoleClaim>>())
        {
            if (string.Equals(key, account, StringComparison.OrdinalIgnoreCase)) return new ClaimProof(Epoch, key, Root, claims);
        }

        return null;
    }
}
