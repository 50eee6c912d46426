namespace Peerz.Settlement.Hosting;

/// <summary>Crash testing only: <see cref="Epochs.EpochCloser.AfterPostRootSent"/> for the host's closer.</summary>
public sealed record SettlementHooks(Action? AfterPostRootSent);
