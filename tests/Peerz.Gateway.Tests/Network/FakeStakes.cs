using Peerz.Gateway.Network;

namespace Peerz.Gateway.Tests.Network;

/// <summary>A registry that answers with fixed entries at a fixed block, or hangs until cancelled.</summary>
public sealed class FakeStakes(ulong block, IReadOnlyDictionary<string, StakeEntry> entries) : IStakeReader
{
    public bool Hangs { get; set; }

    public IReadOnlyCollection<string>? Asked { get; private set; }

    public async Task<StakeSnapshot> ReadAsync(IReadOnlyCollection<string> accounts, CancellationToken cancellationToken)
    {
        Asked = accounts;
        if (Hangs) await Task.Delay(Timeout.Infinite, cancellationToken);
        return new StakeSnapshot(block, entries.Where(e => accounts.Contains(e.Key)).ToDictionary());
    }
}
