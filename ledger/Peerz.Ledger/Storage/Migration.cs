namespace Peerz.Ledger.Storage;

/// <summary>One schema step: applied once, in order of <paramref name="Version"/>, inside a transaction.</summary>
public sealed record Migration(int Version, string Description, string Sql);
