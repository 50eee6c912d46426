namespace Peerz.Node.Push;

/// <summary>How a provider takes part in server-to-server push (<c>peerz-provider --no-push</c> turns it off).</summary>
public sealed record PushOptions
{
    /// <summary>Off: a session opened with push links is refused (<c>BAD_REQUEST</c>), so the client routes it without push.</summary>
    public bool Enabled { get; init; } = true;
    /// <summary>Pushed inputs a session holds ahead of its paid steps; pushes beyond are refused.</summary>
    public int MaxBufferedSteps { get; init; } = 2;
    /// <summary>Addresses of a next hop that are dialled; the rest of a client's list is ignored.</summary>
    public int MaxAddresses { get; init; } = 8;
    /// <summary>Opening the stream to a next hop that takes longer than this fails the link (the client then relays).</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>Largest push message read (the hidden states of one step).</summary>
    public int MaxMessageBytes { get; init; } = 64 << 20;
    /// <summary>A push stream with no message for this long is closed.</summary>
    public TimeSpan StreamIdleTimeout { get; init; } = TimeSpan.FromSeconds(60);
}
