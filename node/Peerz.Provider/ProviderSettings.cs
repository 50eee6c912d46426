using System.Numerics;
using Peerz.Hosting.Chain;
using Peerz.Model.Blocks;
using Peerz.Node.Serving;
using Peerz.Node.Swarm;
using Peerz.P2P;

namespace Peerz.Provider;

/// <summary>Everything peerz-provider was told, after flags, environment and config file are merged.</summary>
public sealed record ProviderSettings
{
    public required string ModelDirectory { get; init; }
    public required string ModelId { get; init; }
    public (int Start, int End)? Blocks { get; init; }
    public int NumBlocks { get; init; }
    /// <summary>How often (on average) a provider that chose its span checks whether to move; zero disables rebalancing.</summary>
    public TimeSpan RebalancePeriod { get; init; }
    public required BlockLoadOptions LoadOptions { get; init; }
    public required ServingLimits Limits { get; init; }
    public required IReadOnlyList<Multiaddr> Listen { get; init; }
    public required IReadOnlyList<Multiaddr> Bootstrap { get; init; }
    /// <summary>Announced besides the listen addresses (--announce-address), e.g. a port the router forwards.</summary>
    public IReadOnlyList<Multiaddr> AnnounceAddresses { get; init; } = [];
    public RelayServiceMode RelayService { get; init; } = RelayServiceMode.Auto;
    public required string IdentityFile { get; init; }
    public required BigInteger PricePerToken { get; init; }
    /// <summary>Server-to-server push (<c>--no-push</c> refuses it).</summary>
    public Peerz.Node.Push.PushOptions Push { get; init; } = new();
    /// <summary>Null serves for free, off chain.</summary>
    public PaymentSettings? Payments { get; init; }
    /// <summary>Chaos testing only (<see cref="WrongOutputFault.RateVariable"/>): answer a fraction of responses wrong.</summary>
    public WrongOutputFault? Fault { get; init; }
}

/// <summary>How the provider is paid: the chain, the account's keystore, its ledger and chores.</summary>
public sealed record PaymentSettings
{
    public required ChainSettings Chain { get; init; }
    public required string Keystore { get; init; }
    public string? PasswordFile { get; init; }
    public required string LedgerPath { get; init; }
    /// <summary>PRZ wei to add to the stake at start (0: only check the registration).</summary>
    public BigInteger AddStake { get; init; }
    public TimeSpan RedeemInterval { get; init; } = TimeSpan.FromMinutes(10);
    public TimeSpan PayloadRetention { get; init; } = TimeSpan.FromHours(1);
}
