using System.Buffers;

namespace Peerz.P2P.Yamux;

/// <summary>
/// Pool for received data-frame payloads while they wait for their reader. The shared pool keeps a few dozen
/// 64 KiB arrays, far fewer than one auto-tuned window holds (16 MiB is 256 frames), so a full window would mean
/// a fresh allocation per frame; this pool keeps up to one such window's worth per array size.
/// </summary>
internal static class ReceiveBuffers
{
    public static readonly ArrayPool<byte> Pool = ArrayPool<byte>.Create(maxArrayLength: 1 << 16, maxArraysPerBucket: 256);
}
