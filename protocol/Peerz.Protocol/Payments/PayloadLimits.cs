namespace Peerz.Protocol.Payments;

/// <summary>
/// Bounds of /peerz/payload/1.0.0 that provider and verifier share, so a payload the provider may send always fits
/// what the verifier reads: one answer's steps stay under <see cref="MaxResponseBytes"/>, and the reader allows
/// <see cref="MaxFrameBytes"/>, which adds room for the framing around them.
/// </summary>
public static class PayloadLimits
{
    /// <summary>Largest sum of step bytes (input + output + receipt) the provider puts in one answer; more steps follow on request.</summary>
    public const int MaxResponseBytes = 64 << 20;

    /// <summary>Largest response frame a reader accepts: the steps plus protobuf overhead per step and field.</summary>
    public const int MaxFrameBytes = MaxResponseBytes + (1 << 20);

    /// <summary>Largest request frame (a request is a few hundred bytes).</summary>
    public const int MaxRequestBytes = 1024;

    /// <summary>How far a signed request's timestamp may be from the provider's clock.</summary>
    public static readonly TimeSpan MaxClockSkew = TimeSpan.FromMinutes(5);
}
