namespace Peerz.Settlement.Storage;

/// <summary>The configured settlement store cannot be reached or opened (a setting to fix, reported in one line).</summary>
public sealed class StoreUnavailableException(string message, Exception innerException) : Exception(message, innerException);
