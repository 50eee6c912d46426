using Microsoft.Data.Sqlite;
using Peerz.Chain.Crypto;
using Peerz.Ledger.Payments;

namespace Peerz.Ledger.Tests;

/// <summary>The client ledger keeps vouchers cumulative per provider across restarts and refunds refused requests.</summary>
public sealed class ClientLedgerTests : IDisposable
{
    private readonly string _directory = TempDirectory.Create("client-ledger");

    [Fact]
    public async Task Reservations_accumulate_per_provider_survive_a_restart_and_refunds_keep_nonces_growing()
    {
        var escrow = EthKey.Generate().Address;
        var (a, b) = (EthKey.Generate().Address, EthKey.Generate().Address);
        var path = Path.Combine(_directory, "client.db");
        var ledger = await ClientLedger.OpenAsync(path, escrow, default);
        Assert.Equal((10, 1), await ledger.ReserveAsync(a, 10, default));
        Assert.Equal((25, 2), await ledger.ReserveAsync(a, 15, default));
        Assert.Equal((4, 1), await ledger.ReserveAsync(b, 4, default));
        await ledger.ReleaseAsync(a, 15, default);

        var restarted = await ClientLedger.OpenAsync(path, escrow, default);
        Assert.Equal(10, await restarted.SignedForAsync(a, default));
        Assert.Equal((13, 3), await restarted.ReserveAsync(a, 3, default));

        var otherEscrow = await ClientLedger.OpenAsync(path, EthKey.Generate().Address, default);
        Assert.Equal(0, await otherEscrow.SignedForAsync(a, default));
    }

    [Fact]
    public async Task A_receipt_is_stored_once_under_its_digest()
    {
        var ledger = await ClientLedger.OpenAsync(Path.Combine(_directory, "client.db"), EthKey.Generate().Address, default);
        var provider = EthKey.Generate().Address;
        var digest = Enumerable.Repeat((byte)7, 32).ToArray();
        await ledger.RecordReceiptAsync(digest, provider, new byte[32], 0, 12, [1, 2], default);
        await ledger.RecordReceiptAsync(digest, provider, new byte[32], 0, 12, [1, 2], default);
        await ledger.RecordReceiptAsync(Enumerable.Repeat((byte)8, 32).ToArray(), provider, new byte[32], 1, 5, [3], default);
        Assert.Equal((2, 17), await ledger.ReceiptTotalsAsync(provider, default));
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        TempDirectory.Delete(_directory);
    }
}
