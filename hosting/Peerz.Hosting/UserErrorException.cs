namespace Peerz.Hosting;

/// <summary>A mistake the user can fix (bad option, missing file): printed as one line, no stack trace.</summary>
public sealed class UserErrorException(string message) : Exception(message);
