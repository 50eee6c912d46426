namespace Peerz.Gateway.Network;

/// <summary>Reads providers' registry entries (stake, jail) from the chain.</summary>
public interface IStakeReader
{
    Task<StakeSnapshot> ReadAsync(IReadOnlyCollection<string> accounts, CancellationToken cancellationToken);
}

/// <summary>Registry entries by account (lower-case 0x address), read right after <paramref name="BlockNumber"/> was the latest block.</summary>
public sealed record StakeSnapshot(ulong BlockNumber, IReadOnlyDictionary<string, StakeEntry> Accounts);

/// <summary>One provider's registry entry: stake in PRZ wei, whether it is jailed, and whether the registry counts it active.</summary>
public sealed record StakeEntry(string Stake, bool Jailed, bool Active);
