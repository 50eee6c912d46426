using Peerz.Chain.Crypto;
using Peerz.P2P;

namespace Peerz.Settlement.Uptime;

/// <summary>A routing/bootstrap peer and the account its uptime rewards go to (configured as <c>account=multiaddr</c>).</summary>
public sealed record BootstrapPeer(Address Account, Multiaddr Address)
{
    /// <exception cref="FormatException">Not <c>0xACCOUNT=/ip4/…/tcp/…/p2p/…</c>.</exception>
    public static BootstrapPeer Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var separator = text.IndexOf('=', StringComparison.Ordinal);
        if (separator <= 0) throw new FormatException($"'{text}' is not account=multiaddr");
        if (!Chain.Crypto.Address.TryParse(text[..separator].Trim(), out var account)) throw new FormatException($"'{text[..separator]}' is not an account address");
        var address = Multiaddr.Parse(text[(separator + 1)..].Trim());
        if (address.PeerId is null) throw new FormatException($"'{address}' has no /p2p/ peer id; settlement must know whose uptime it measures");
        return new BootstrapPeer(account, address);
    }
}
