namespace Peerz.Hosting;

/// <summary>
/// Where Peerz keeps its files by default ($PEERZ_HOME, else ~/.peerz): ledgers, keys, settlement data and the embedded
/// default model. It lives apart from DefaultModel (Peerz.Hosting.Model) so that processes which never load a model,
/// such as peerz-settle, find it without linking libtorch.
/// </summary>
public static class PeerzHome
{
    public static string Directory(Func<string, string?>? environment = null) =>
        (environment ?? Environment.GetEnvironmentVariable)("PEERZ_HOME")
        ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".peerz");
}
