using System.Buffers.Binary;
using System.Security.Cryptography;
using Org.BouncyCastle.Math.EC.Rfc7748;

namespace Peerz.P2P.Noise;

/// <summary>
/// Noise_XX_25519_ChaChaPoly_SHA256 with the libp2p handshake payload (libp2p/specs noise/README.md):
/// each side proves its identity key by signing "noise-libp2p-static-key:" ‖ its noise static key.
/// </summary>
internal sealed class NoiseHandshake
{
    private const int KeySize = 32;
    private readonly byte[] _staticPrivate;
    private readonly byte[] _staticPublic;
    private readonly byte[] _payload;

    public NoiseHandshake(Identity identity)
        : this(identity, staticKey => identity.Sign([.. NoiseHandshakePayload.SignaturePrefix, .. staticKey]))
    {
    }

    /// <summary>Lets tests play a peer whose payload signature is wrong.</summary>
    internal NoiseHandshake(Identity identity, Func<byte[], byte[]> signStaticKey)
    {
        (_staticPrivate, _staticPublic) = GenerateKeyPair();
        _payload = new NoiseHandshakePayload(identity.PublicKeyProto, signStaticKey(_staticPublic)).Encode();
    }

    /// <summary>Runs the handshake; throws <see cref="NoiseHandshakeException"/> on any failure.</summary>
    public async Task<(NoiseStream Stream, PeerId RemotePeer)> RunAsync(Stream transport, bool initiator, PeerId? expectedRemote, CancellationToken ct)
    {
        try
        {
            return initiator
                ? await InitiateAsync(transport, expectedRemote, ct).ConfigureAwait(false)
                : await RespondAsync(transport, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is FormatException or CryptographicException or InvalidDataException or NotSupportedException)
        {
            throw new NoiseHandshakeException($"noise handshake failed: {ex.Message}", ex);
        }
    }

    private async Task<(NoiseStream, PeerId)> InitiateAsync(Stream transport, PeerId? expectedRemote, CancellationToken ct)
    {
        using var state = new SymmetricState();
        var (ePrivate, ePublic) = GenerateKeyPair();

        // -> e
        state.MixHash(ePublic);
        await WriteMessageAsync(transport, [.. ePublic, .. state.EncryptAndHash([])], ct).ConfigureAwait(false);

        // <- e, ee, s, es
        var message = await ReadMessageAsync(transport, ct).ConfigureAwait(false);
        if (message.Length < KeySize + KeySize + CipherState.TagSize)
        {
            throw new InvalidDataException("noise message 2 too short");
        }
        var remoteEphemeral = message[..KeySize];
        state.MixHash(remoteEphemeral);
        state.MixKey(Dh(ePrivate, remoteEphemeral));
        var remoteStatic = state.DecryptAndHash(message.AsSpan(KeySize, KeySize + CipherState.TagSize));
        state.MixKey(Dh(ePrivate, remoteStatic));
        var remotePeer = VerifyPayload(state.DecryptAndHash(message.AsSpan(KeySize + KeySize + CipherState.TagSize)), remoteStatic, expectedRemote);

        // -> s, se
        var encryptedStatic = state.EncryptAndHash(_staticPublic);
        state.MixKey(Dh(_staticPrivate, remoteEphemeral));
        await WriteMessageAsync(transport, [.. encryptedStatic, .. state.EncryptAndHash(_payload)], ct).ConfigureAwait(false);

        var (send, receive) = state.Split();
        return (new NoiseStream(transport, send, receive), remotePeer);
    }

    private async Task<(NoiseStream, PeerId)> RespondAsync(Stream transport, CancellationToken ct)
    {
        using var state = new SymmetricState();
        var (ePrivate, ePublic) = GenerateKeyPair();

        // -> e
        var message = await ReadMessageAsync(transport, ct).ConfigureAwait(false);
        if (message.Length < KeySize)
        {
            throw new InvalidDataException("noise message 1 too short");
        }
        var remoteEphemeral = message[..KeySize];
        state.MixHash(remoteEphemeral);
        state.DecryptAndHash(message.AsSpan(KeySize));

        // <- e, ee, s, es
        state.MixHash(ePublic);
        state.MixKey(Dh(ePrivate, remoteEphemeral));
        var encryptedStatic = state.EncryptAndHash(_staticPublic);
        state.MixKey(Dh(_staticPrivate, remoteEphemeral));
        await WriteMessageAsync(transport, [.. ePublic, .. encryptedStatic, .. state.EncryptAndHash(_payload)], ct).ConfigureAwait(false);

        // -> s, se
        message = await ReadMessageAsync(transport, ct).ConfigureAwait(false);
        if (message.Length < KeySize + CipherState.TagSize + CipherState.TagSize)
        {
            throw new InvalidDataException("noise message 3 too short");
        }
        var remoteStatic = state.DecryptAndHash(message.AsSpan(0, KeySize + CipherState.TagSize));
        state.MixKey(Dh(ePrivate, remoteStatic));
        var remotePeer = VerifyPayload(state.DecryptAndHash(message.AsSpan(KeySize + CipherState.TagSize)), remoteStatic, null);

        var (receive, send) = state.Split();
        return (new NoiseStream(transport, send, receive), remotePeer);
    }

    private static PeerId VerifyPayload(byte[] payloadBytes, byte[] remoteStatic, PeerId? expectedRemote)
    {
        var payload = NoiseHandshakePayload.Decode(payloadBytes);
        if (!Identity.Verify(payload.IdentityKey, [.. NoiseHandshakePayload.SignaturePrefix, .. remoteStatic], payload.IdentitySignature))
        {
            throw new NoiseHandshakeException("noise payload signature does not verify against the identity key");
        }
        var remotePeer = PeerId.FromPublicKey(payload.IdentityKey);
        if (expectedRemote is not null && remotePeer != expectedRemote)
        {
            throw new NoiseHandshakeException($"remote peer is {remotePeer}, expected {expectedRemote}");
        }
        return remotePeer;
    }

    private static (byte[] Private, byte[] Public) GenerateKeyPair()
    {
        // RandomNumberGenerator instead of a new SecureRandom per key: seeding SecureRandom dominated handshake cost.
        var privateKey = RandomNumberGenerator.GetBytes(X25519.ScalarSize);
        privateKey[0] &= 248;
        privateKey[31] &= 127;
        privateKey[31] |= 64;
        var publicKey = new byte[X25519.PointSize];
        X25519.GeneratePublicKey(privateKey, 0, publicKey, 0);
        return (privateKey, publicKey);
    }

    private static byte[] Dh(byte[] privateKey, byte[] publicKey)
    {
        var shared = new byte[X25519.PointSize];
        if (!X25519.CalculateAgreement(privateKey, 0, publicKey, 0, shared, 0))
        {
            throw new NoiseHandshakeException("X25519 agreement produced the all-zero secret (low-order point)");
        }
        return shared;
    }

    private static async Task WriteMessageAsync(Stream transport, byte[] message, CancellationToken ct)
    {
        var frame = new byte[2 + message.Length];
        BinaryPrimitives.WriteUInt16BigEndian(frame, checked((ushort)message.Length));
        message.CopyTo(frame, 2);
        await transport.WriteAsync(frame, ct).ConfigureAwait(false);
        await transport.FlushAsync(ct).ConfigureAwait(false);
    }

    private static async Task<byte[]> ReadMessageAsync(Stream transport, CancellationToken ct)
    {
        var header = new byte[2];
        await transport.ReadExactlyAsync(header, ct).ConfigureAwait(false);
        var message = new byte[BinaryPrimitives.ReadUInt16BigEndian(header)];
        await transport.ReadExactlyAsync(message, ct).ConfigureAwait(false);
        return message;
    }
}
