using Peerz.Settlement.Contributions;
using Peerz.Settlement.Uptime;

namespace Peerz.Settlement;

/// <summary>Settings of a settlement service; every limit is explicit. Checked at start-up by <see cref="Hosting.SettlementOptionsValidator"/>.</summary>
public sealed class SettlementOptions
{
    /// <summary>Holds the published epoch-N.json proof files, and settlement.db unless <see cref="Store"/> says otherwise.</summary>
    public required string DataDirectory { get; set; }

    /// <summary>Where the HTTP API listens, e.g. http://127.0.0.1:8547 (port 0 picks a free one).</summary>
    public Uri Listen { get; set; } = new("http://127.0.0.1:8547");

    /// <summary>Largest request body accepted; reports are a few hundred bytes.</summary>
    public long MaxRequestBytes { get; set; } = 16 * 1024;

    /// <summary>How often the service checks for ended epochs to close.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Bootstrap/routing peers whose uptime earns the routing role's share.</summary>
    public IReadOnlyList<BootstrapPeer> BootstrapPeers { get; set; } = [];

    /// <summary>One uptime sample per peer per interval.</summary>
    public TimeSpan UptimeInterval { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Dial plus ping must finish within this for a sample to count.</summary>
    public TimeSpan PingTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The models whose receipts are credited, by receipt model id, with their layer counts (blockEnd ≤ layers).</summary>
    public ServedModels Models { get; set; } = ServedModels.None;

    /// <summary>
    /// How long after an epoch's end its close waits, so providers can redeem the vouchers of the epoch's last work
    /// before settlement reads PaymentEscrow.redeemed; receipts of the ended epoch are still taken until then.
    /// Must exceed the providers' redeem interval plus a block or two.
    /// </summary>
    public TimeSpan CloseDelay { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Verifiers every accepted receipt is forwarded to (POST /v1/receipts, same body), so any rewarded receipt can be sampled.</summary>
    public IReadOnlyList<Uri> VerifierUrls { get; set; } = [];

    /// <summary>Receipts waiting to be forwarded; beyond this the oldest are dropped (intake never waits for verifiers).</summary>
    public int ForwardQueueCapacity { get; set; } = 4096;

    /// <summary>How long one forward may take per verifier.</summary>
    public TimeSpan ForwardTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The settlement store: a SQLite file path or a postgres:// URL (<see cref="Storage.StoreLocation"/>); null for settlement.db in <see cref="DataDirectory"/>.</summary>
    public string? Store { get; set; }

    public string StoreLocation => Store ?? Path.Combine(DataDirectory, "settlement.db");

    public string ProofsDirectory => Path.Combine(DataDirectory, "epochs");
}
