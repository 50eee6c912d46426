using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Peerz.Chain.Contracts;
using Peerz.Chain.Crypto;
using Peerz.Settlement.Contributions;
using Peerz.Settlement.Http;
using Peerz.Settlement.Tests.Support;
using Peerz.Testing;
using Peerz.Testing.Chain;

namespace Peerz.Settlement.Tests.Devnet;

/// <summary>Hostile and broken reports get a clear 4xx with {"error": …}, and nothing is recorded.</summary>
[Collection(SettlementDevnetCollection.Name)]
[Trait("Category", "Chain")]
public sealed class HttpInputTests(SettlementDevnet devnet) : IAsyncLifetime
{
    private readonly string _directory = TempDirectory.Create("settle-http");
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private SettlementService _service = null!;
    private EthKey _signer = null!;

    private EthKey Provider { get; set; } = null!;

    private static readonly Address Payer = EthKey.Generate().Address;

    public async Task InitializeAsync()
    {
        var chain = await devnet.SettlementChainAsync();
        _service = await SettlementService.StartAsync(
            chain, new SettlementOptions { DataDirectory = _directory, Listen = new Uri("http://127.0.0.1:0"), MaxRequestBytes = 4096, Models = SettlementDevnet.Models, CloseDelay = TimeSpan.Zero }, NullLoggerFactory.Instance, null, CancellationToken.None);
        (Provider, _signer) = await devnet.NewProviderAsync();
    }

    public async Task DisposeAsync()
    {
        await _service.DisposeAsync();
        _http.Dispose();
        TempDirectory.Delete(_directory);
    }

    [Theory]
    [InlineData("{")]
    [InlineData("not json")]
    [InlineData("[1,2,3]")]
    [InlineData("null")]
    [InlineData("{\"provider\": 5}")]
    [InlineData("{\"unknownField\": 1}")]
    public async Task Malformed_JSON_is_a_400(string body)
    {
        var (status, error) = await PostRawAsync("v1/receipts", body);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.False(string.IsNullOrWhiteSpace(error));
    }

    [Fact]
    public async Task A_missing_or_short_hex_field_is_a_400_naming_the_field()
    {
        var report = await ValidReportAsync() with { InputHash = "0x1234" };
        var (status, error) = await PostAsync("v1/receipts", report);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("inputHash", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_garbage_signature_is_refused()
    {
        var report = await ValidReportAsync() with { Signature = "0x" + new string('f', 128) + "1b" };
        var (status, _) = await PostAsync("v1/receipts", report);
        Assert.Equal(HttpStatusCode.Forbidden, status);
    }

    [Fact]
    public async Task A_receipt_signed_by_an_unregistered_key_is_a_403()
    {
        var receipt = await ReceiptAsync();
        var (status, error) = await PostAsync("v1/receipts", ReceiptReport.From(receipt, devnet.Sign(receipt, EthKey.Generate())));
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("no provider's registered signer", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_receipt_whose_signer_belongs_to_another_provider_is_refused()
    {
        // Issue 22 #8: the receipt names one provider, but another provider's signer signed it (or a reporter swapped
        // the provider field): the digest covers the provider, so the signer's owner must be that very provider.
        var (other, otherSigner) = await devnet.NewProviderAsync();
        var claimed = await ReceiptAsync();
        var (status, error) = await PostAsync("v1/receipts", ReceiptReport.From(claimed, devnet.Sign(claimed, otherSigner)));
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains(other.Address.ToString(), error, StringComparison.OrdinalIgnoreCase);

        var stolen = await devnet.ReceiptAsync(other.Address, Payer, 0x01, 3, 0, 2, 5);
        var relabelled = ReceiptReport.From(stolen, devnet.Sign(stolen, otherSigner)) with { Provider = Provider.Address.ToString() };
        Assert.Equal(HttpStatusCode.Forbidden, (await PostAsync("v1/receipts", relabelled)).Status);
    }

    [Fact]
    public async Task A_tampered_receipt_no_longer_matches_its_signature()
    {
        var report = await ValidReportAsync();
        var (status, _) = await PostAsync("v1/receipts", report with { Tokens = report.Tokens + 1000 });
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal(HttpStatusCode.Forbidden, (await PostAsync("v1/receipts", report with { Amount = "1000000000000000000000" })).Status);
    }

    [Theory]
    [InlineData(0x00, 3u, 0u, 2u, 5)]
    [InlineData(0x07, 3u, 0u, 2u, 5)]
    [InlineData(0x01, 0u, 0u, 2u, 5)]
    [InlineData(0x01, 3u, 2u, 2u, 5)]
    [InlineData(0x01, 3u, 5u, 2u, 5)]
    [InlineData(0x01, 3u, 0u, 9u, 5)]
    [InlineData(0x01, 3u, 0u, 2u, 0)]
    public async Task Receipts_without_countable_paid_work_are_a_422(byte kind, uint tokens, uint start, uint end, int amount)
    {
        var receipt = await devnet.ReceiptAsync(Provider.Address, Payer, kind, tokens, start, end, amount);
        var (status, _) = await PostAsync("v1/receipts", ReceiptReport.From(receipt, devnet.Sign(receipt, _signer)));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
    }

    [Fact]
    public async Task An_amount_beyond_the_per_receipt_bound_is_a_422()
    {
        var receipt = await devnet.ReceiptAsync(Provider.Address, Payer, 0x01, 3, 0, 2, ContributionIntake.MaxAmountPerReceipt + 1);
        var (status, error) = await PostAsync("v1/receipts", ReceiptReport.From(receipt, devnet.Sign(receipt, _signer)));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        Assert.Contains("implausible", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_receipt_from_the_future_is_a_422()
    {
        var receipt = await devnet.ReceiptAsync(Provider.Address, Payer, 0x01, 3, 0, 2, 5, timestamp: await devnet.Rpc.BlockTimestampAsync() + (2 * SettlementDevnet.EpochSeconds));
        var (status, _) = await PostAsync("v1/receipts", ReceiptReport.From(receipt, devnet.Sign(receipt, _signer)));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
    }

    [Fact]
    public async Task A_body_over_the_limit_is_a_413_whether_or_not_it_declares_its_length()
    {
        var huge = "{\"provider\":\"" + new string('a', 6_000) + "\"}";
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await PostRawAsync("v1/receipts", huge)).Status);

        // Chunked, with no declared length: written whole on a raw socket before reading the answer, so the server's
        // close after its 413 cannot race the upload into a broken pipe (as HttpClient's streaming upload did under load).
        var body = Encoding.UTF8.GetBytes("{\"provider\":\"" + new string('a', 6_000) + "\"}");
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(_service.Address.Host, _service.Address.Port);
        var stream = tcp.GetStream();
        var request = new MemoryStream();
        request.Write(Encoding.ASCII.GetBytes($"POST /v1/receipts HTTP/1.1\r\nHost: {_service.Address.Authority}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n{body.Length:x}\r\n"));
        request.Write(body);
        request.Write("\r\n0\r\n\r\n"u8);
        await stream.WriteAsync(request.ToArray());
        using var reader = new StreamReader(stream, Encoding.ASCII);
        Assert.StartsWith("HTTP/1.1 413", await reader.ReadLineAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verifications_need_a_verifier_signature_and_a_known_receipt()
    {
        var valid = await ValidReportAsync();
        var now = await devnet.Rpc.BlockTimestampAsync();
        var (receipt, _) = valid.Parse();
        var digest = receipt.Digest(devnet.Deployment.ChainId, devnet.Deployment.Registry);

        // Not reported yet: unknown receipt.
        var unknown = Verification(devnet.Deployer, digest, now);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await PostAsync("v1/verifications", unknown)).Status);

        Assert.Equal(HttpStatusCode.OK, (await PostAsync("v1/receipts", valid)).Status);

        // Signed by someone without VERIFIER_ROLE.
        Assert.Equal(HttpStatusCode.Forbidden, (await PostAsync("v1/verifications", Verification(HardhatNode.Accounts[7], digest, now))).Status);

        // Claims to be the verifier, signed by another key.
        var forged = Verification(HardhatNode.Accounts[7], digest, now) with { Verifier = devnet.Deployer.Address.ToString() };
        Assert.Equal(HttpStatusCode.Forbidden, (await PostAsync("v1/verifications", forged)).Status);

        Assert.Equal(HttpStatusCode.OK, (await PostAsync("v1/verifications", Verification(devnet.Deployer, digest, now))).Status);
    }

    [Fact]
    public async Task Proof_requests_for_unsettled_epochs_or_bad_accounts_are_refused()
    {
        Assert.Equal(HttpStatusCode.NotFound, (await _http.GetAsync(new Uri(_service.Address, $"v1/epochs/999999/proofs/{Provider.Address}"))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await _http.GetAsync(new Uri(_service.Address, "v1/epochs/0/proofs/0xnotanaddress"))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await _http.GetAsync(new Uri(_service.Address, $"v1/epochs/-1/proofs/{Provider.Address}"))).StatusCode);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("101")]
    [InlineData("ten")]
    public async Task Top_earners_refuse_a_count_outside_1_to_100(string top)
    {
        var response = await _http.GetAsync(new Uri(_service.Address, $"v1/epochs/last/earners?top={top}"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("top must be a number from 1 to 100", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Top_earners_before_any_settled_epoch_are_a_404_saying_so()
    {
        var refused = await Assert.ThrowsAsync<SettlementException>(() => new SettlementClient(_http, _service.Address).GetLastEarnersAsync(10));
        Assert.Equal(404, refused.StatusCode);
        Assert.Equal("no epoch is settled yet", refused.Message);
    }

    private VerificationReport Verification(EthKey key, byte[] digest, ulong timestamp)
    {
        var message = new VerificationMessage(key.Address, digest, timestamp);
        return VerificationReport.From(message, message.Sign(key, devnet.Deployment.ChainId, devnet.Deployment.Rewards));
    }

    private Task<WorkReceipt> ReceiptAsync() => devnet.ReceiptAsync(Provider.Address, Payer, 0x01, 3, 0, 2, 5);

    private async Task<ReceiptReport> ValidReportAsync()
    {
        var receipt = await ReceiptAsync();
        return ReceiptReport.From(receipt, devnet.Sign(receipt, _signer));
    }

    private async Task<(HttpStatusCode Status, string Error)> PostAsync<T>(string path, T body)
    {
        using var response = await _http.PostAsJsonAsync(new Uri(_service.Address, path), body);
        return (response.StatusCode, await ErrorOf(response));
    }

    private async Task<(HttpStatusCode Status, string Error)> PostRawAsync(string path, string body)
    {
        using var response = await _http.PostAsync(new Uri(_service.Address, path), new StringContent(body, Encoding.UTF8, "application/json"));
        return (response.StatusCode, await ErrorOf(response));
    }

    private static async Task<string> ErrorOf(HttpResponseMessage response)
    {
        if (response.IsSuccessStatusCode) return "";
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return document.RootElement.GetProperty("error").GetString()!;
    }
}
