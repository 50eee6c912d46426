namespace Peerz.Settlement.Epochs;

/// <summary>The chain disagrees with this settlement's books (e.g. another settler posted a different root); needs an operator.</summary>
public sealed class SettlementConflictException(string message) : Exception(message);
