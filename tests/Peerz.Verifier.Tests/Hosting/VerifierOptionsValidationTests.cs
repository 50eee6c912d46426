using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Peerz.Hosting;
using Peerz.P2P;
using Peerz.Verifier.Hosting;

namespace Peerz.Verifier.Tests.Hosting;

public sealed class VerifierOptionsValidationTests
{
    private static readonly Multiaddr Peer = Multiaddr.Parse("/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA");

    [Theory]
    [InlineData(nameof(VerifierOptions.SampleRate), "--sample-rate must be between 0 and 1")]
    [InlineData(nameof(VerifierOptions.DesignCheatRate), "--design-cheat-rate must be between 0 and 1")]
    [InlineData(nameof(VerifierOptions.SessionQuiet), "--session-quiet-seconds must be between 0 and 600")]
    [InlineData(nameof(VerifierOptions.ReportsPerMinute), "--reports-per-minute must be at least 1")]
    [InlineData(nameof(VerifierOptions.MaxRecomputeTokens), "--max-recompute-tokens must be at least 1")]
    [InlineData(nameof(VerifierOptions.ProbesPerKey), "--probes-per-key must be at least 1")]
    [InlineData(nameof(VerifierOptions.Unavailability), "--unavailable-failures must be at least 1")]
    public async Task A_bad_setting_stops_the_host_before_anything_is_opened_with_one_line_naming_the_flag(string setting, string message)
    {
        var host = Host.CreateApplicationBuilder();
        host.Services.AddPeerzVerifier(o =>
        {
            // Everything else valid but the chain (named too); the keystore does not exist, so getting past validation would fail differently.
            Valid(o);
            switch (setting)
            {
                case nameof(VerifierOptions.SampleRate): o.SampleRate = 1.5; break;
                case nameof(VerifierOptions.DesignCheatRate): o.DesignCheatRate = -0.1; break;
                case nameof(VerifierOptions.SessionQuiet): o.SessionQuiet = TimeSpan.FromSeconds(601); break;
                case nameof(VerifierOptions.ReportsPerMinute): o.ReportsPerMinute = 0; break;
                case nameof(VerifierOptions.MaxRecomputeTokens): o.MaxRecomputeTokens = 0; break;
                case nameof(VerifierOptions.ProbesPerKey): o.ProbesPerKey = 0; break;
                case nameof(VerifierOptions.Unavailability): o.Unavailability = o.Unavailability with { Failures = 0 }; break;
            }
        });

        var refused = await Assert.ThrowsAsync<OptionsValidationException>(() => PeerzHost.RunAsync(host.Build(), CancellationToken.None));

        Assert.Equal($"{message}; --rpc-url and --deployment are required: fraud is slashed on chain", refused.Message);
        Assert.DoesNotContain('\n', refused.Message);
    }

    [Fact]
    public void Every_missing_requirement_is_named()
    {
        var result = new VerifierOptionsValidator().Validate(null, new VerifierOptions());

        Assert.Equal(["--bootstrap is required: the verifier finds providers through the swarm", "--rpc-url and --deployment are required: fraud is slashed on chain"],
            result.Failures);
    }

    [Fact]
    public void The_defaults_with_a_swarm_to_join_pass_but_for_the_chain()
    {
        var options = new VerifierOptions();
        Valid(options);

        Assert.Equal(["--rpc-url and --deployment are required: fraud is slashed on chain"], new VerifierOptionsValidator().Validate(null, options).Failures);
    }

    private static void Valid(VerifierOptions options)
    {
        options.Bootstrap = [Peer];
        options.Keystore = Path.Combine(Path.GetTempPath(), $"missing-{Guid.NewGuid():N}.json");
    }
}
