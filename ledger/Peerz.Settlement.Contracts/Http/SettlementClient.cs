using System.Net.Http.Json;
using System.Text.Json;
using Peerz.Chain.Contracts;
using Peerz.Chain.Crypto;
using Peerz.Settlement.Contributions;
using Peerz.Settlement.Rewards;

namespace Peerz.Settlement.Http;

/// <summary>
/// Typed client of the settlement API, for paying clients (receipts), verifiers (verifications) and claimants
/// (proofs). Answers are bounded in size; a refusal throws <see cref="SettlementException"/> with the server's reason.
/// </summary>
public sealed class SettlementClient(HttpClient http, Uri baseAddress)
{
    public const int MaxResponseBytes = 1 << 20;

    /// <summary>Reports a provider-signed receipt (it names its provider and client).</summary>
    public Task<ReportResult> ReportReceiptAsync(WorkReceipt receipt, EthSignature signature, CancellationToken cancellationToken = default) =>
        PostAsync("v1/receipts", ReceiptReport.From(receipt, signature), cancellationToken);

    public Task<ReportResult> ReportVerificationAsync(VerificationMessage message, EthSignature signature, CancellationToken cancellationToken = default) =>
        PostAsync("v1/verifications", VerificationReport.From(message, signature), cancellationToken);

    /// <summary>Signs and reports that <paramref name="verifier"/> checked the receipt with EIP-712 digest <paramref name="receiptDigest"/>.</summary>
    public Task<ReportResult> ReportVerificationAsync(EthKey verifier, byte[] receiptDigest, ulong timestamp, PeerzDeployment deployment, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(verifier);
        ArgumentNullException.ThrowIfNull(deployment);
        var message = new VerificationMessage(verifier.Address, receiptDigest, timestamp);
        return ReportVerificationAsync(message, message.Sign(verifier, deployment.ChainId, deployment.Rewards), cancellationToken);
    }

    public async Task<ClaimProof> GetProofAsync(long epoch, Address account, CancellationToken cancellationToken = default)
    {
        using var response = await http.GetAsync(new Uri(baseAddress, $"v1/epochs/{epoch}/proofs/{account}"), HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        return await ReadAsync<ClaimProof>(response, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The <paramref name="top"/> largest rewards of the newest settled epoch (404 as <see cref="SettlementException"/> when none is settled).</summary>
    public async Task<EpochEarners> GetLastEarnersAsync(int top, CancellationToken cancellationToken = default)
    {
        using var response = await http.GetAsync(new Uri(baseAddress, $"v1/epochs/last/earners?top={top}"), HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        return await ReadAsync<EpochEarners>(response, cancellationToken).ConfigureAwait(false);
    }

    private async Task<ReportResult> PostAsync<T>(string path, T body, CancellationToken cancellationToken)
    {
        using var response = await http.PostAsJsonAsync(new Uri(baseAddress, path), body, cancellationToken).ConfigureAwait(false);
        return await ReadAsync<ReportResult>(response, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.Content.Headers.ContentLength > MaxResponseBytes) throw new SettlementException((int)response.StatusCode, $"the answer is larger than {MaxResponseBytes} bytes");
        var bytes = await ReadBoundedAsync(response, cancellationToken).ConfigureAwait(false);
        try
        {
            if (!response.IsSuccessStatusCode)
            {
                var error = JsonSerializer.Deserialize<SettlementError>(bytes);
                throw new SettlementException((int)response.StatusCode, error?.Error ?? response.ReasonPhrase ?? "refused");
            }

            return JsonSerializer.Deserialize<T>(bytes) ?? throw new SettlementException((int)response.StatusCode, "the answer is JSON null");
        }
        catch (JsonException e)
        {
            throw new SettlementException((int)response.StatusCode, $"the answer is not the expected JSON: {e.Message}");
        }
    }

    private static async Task<byte[]> ReadBoundedAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > MaxResponseBytes) throw new SettlementException((int)response.StatusCode, $"the answer is larger than {MaxResponseBytes} bytes");
            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }
}
