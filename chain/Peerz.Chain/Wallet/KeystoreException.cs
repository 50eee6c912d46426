namespace Peerz.Chain.Wallet;

/// <summary>A keystore that is damaged, unsupported, or opened with the wrong password.</summary>
public sealed class KeystoreException(string message, bool wrongPassword = false) : Exception(message)
{
    public bool WrongPassword { get; } = wrongPassword;
}
