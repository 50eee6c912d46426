using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Peerz.Hosting;
using Peerz.Settlement.Contributions;
using Peerz.Settlement.Hosting;
using Peerz.Settlement.Http;
using Peerz.Settlement.Tests.Support;
using Peerz.Testing;

namespace Peerz.Settlement.Tests.Hosting;

/// <summary>peerz-settle's hosted service on the Generic Host, against Hardhat's node: start-up validation, the run loop, stopping.</summary>
[Collection(SettlementDevnetCollection.Name)]
[Trait("Category", "Chain")]
public sealed class SettlementHostTests(SettlementDevnet devnet) : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);
    private readonly string _directory = TempDirectory.Create("settle-host");
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };

    [Fact]
    public async Task The_host_takes_reports_closes_ended_epochs_on_its_own_and_stops_its_api_when_stopped()
    {
        var connector = new DevnetChainConnector(devnet);
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddPeerzSettlement(o => Configure(o, TimeSpan.Zero), connector);
        using var host = builder.Build();
        await host.StartAsync();
        var service = host.Services.GetRequiredService<SettlementHostedService>().Service;
        var client = new SettlementClient(_http, service.Address);

        // A provider's receipt is taken through the host's API.
        var (provider, signer) = await devnet.NewProviderAsync();
        var payer = await devnet.NewFundedAccountAsync();
        var receipt = await devnet.ReceiptAsync(provider.Address, payer.Address, 0x01, 4, 0, 4, 4 * SettlementDevnet.Prz);
        await devnet.PayAsync(payer, provider, 4 * SettlementDevnet.Prz);
        var reported = await client.ReportReceiptAsync(receipt, devnet.Sign(receipt, signer));

        // Nobody calls CloseDueEpochsAsync: the hosted loop posts the receipt's epoch once it has ended.
        await devnet.AdvanceEpochAsync();
        var chain = await devnet.SettlementChainAsync();
        var deadline = DateTime.UtcNow + Bound;
        while ((long)await chain.Rewards.NextEpochToPostAsync() <= reported.Epoch)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"epoch {reported.Epoch} was not posted by the hosted loop");
            await Task.Delay(200);
        }
        Assert.Equal(1, connector.Connections);

        await host.StopAsync();
        await Assert.ThrowsAsync<HttpRequestException>(() => client.ReportReceiptAsync(receipt, devnet.Sign(receipt, signer)));
    }

    [Fact]
    public async Task A_close_delay_of_an_epoch_or_more_stops_the_host_with_one_line_once_the_chain_says_how_long_an_epoch_is()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddPeerzSettlement(o => Configure(o, TimeSpan.FromSeconds(SettlementDevnet.EpochSeconds)), new DevnetChainConnector(devnet));

        var refused = await Assert.ThrowsAsync<OptionsValidationException>(() => PeerzHost.RunAsync(builder.Build(), CancellationToken.None));

        Assert.Equal($"--close-delay must be shorter than an epoch ({SettlementDevnet.EpochSeconds} s)", refused.Message);
    }

    [Fact]
    public async Task Bad_settings_stop_the_host_before_it_reaches_the_chain_naming_every_flag_to_fix()
    {
        var connector = new DevnetChainConnector(devnet);
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddPeerzSettlement(o =>
        {
            Configure(o, TimeSpan.Zero);
            o.PollInterval = TimeSpan.Zero;
            o.Models = ServedModels.None;
        }, connector);

        var refused = await Assert.ThrowsAsync<OptionsValidationException>(() => PeerzHost.RunAsync(builder.Build(), CancellationToken.None));

        Assert.Equal("--poll-interval must be positive; give at least one --model NAME=LAYERS: settlement rewards only work on models it knows", refused.Message);
        Assert.Equal(0, connector.Connections);
    }

    public void Dispose()
    {
        _http.Dispose();
        TempDirectory.Delete(_directory);
    }

    private void Configure(SettlementOptions options, TimeSpan closeDelay)
    {
        options.DataDirectory = _directory;
        options.Listen = new Uri("http://127.0.0.1:0");
        options.Models = SettlementDevnet.Models;
        options.CloseDelay = closeDelay;
        options.PollInterval = TimeSpan.FromSeconds(1);
    }
}
