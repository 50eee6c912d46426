using System.Numerics;
using Peerz.Chain.Contracts;
using Peerz.Chain.Crypto;
using Peerz.Chain.TypedData;

namespace Peerz.Protocol.Payments;

/// <summary>
/// The signed part of a <c>/peerz/payload</c> request: EIP-712
/// <c>PayloadRequest(bytes32 sessionId,uint64 step,uint64 fromStep,uint64 timestamp)</c> in the registry's domain.
/// The provider hands a session's bytes only to the signer it names when that is the session's paying client or a
/// holder of VERIFIER_ROLE, so hidden states stay private to the client and the verifiers.
/// </summary>
public sealed record PayloadAccess(byte[] SessionId, ulong Step, ulong FromStep, ulong Timestamp)
{
    private static readonly Eip712 Types = new(new Dictionary<string, IReadOnlyList<Eip712Field>>
    {
        ["PayloadRequest"] = [new("sessionId", "bytes32"), new("step", "uint64"), new("fromStep", "uint64"), new("timestamp", "uint64")],
    });

    public byte[] Digest(BigInteger chainId, Address registry) => Types.Digest(WorkReceipt.Domain(chainId, registry), "PayloadRequest", new Dictionary<string, object?>
    {
        ["sessionId"] = SessionId,
        ["step"] = (BigInteger)Step,
        ["fromStep"] = (BigInteger)FromStep,
        ["timestamp"] = (BigInteger)Timestamp,
    });

    /// <summary>A request for steps <paramref name="FromStep"/>..<paramref name="Step"/>, signed by <paramref name="requester"/>.</summary>
    public Wire.PayloadRequest ToSignedRequest(EthKey requester, BigInteger chainId, Address registry)
    {
        ArgumentNullException.ThrowIfNull(requester);
        return new Wire.PayloadRequest
        {
            SessionId = Google.Protobuf.ByteString.CopyFrom(SessionId),
            Step = Step,
            FromStep = FromStep,
            Requester = Google.Protobuf.ByteString.CopyFrom(requester.Address.Bytes),
            Timestamp = Timestamp,
            Signature = Google.Protobuf.ByteString.CopyFrom(requester.Sign(Digest(chainId, registry)).ToBytes()),
        };
    }

    /// <summary>The address that signed <paramref name="request"/>, or null when it is malformed or recovers to no one but the named requester.</summary>
    public static Address? VerifiedRequester(Wire.PayloadRequest request, BigInteger chainId, Address registry)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.SessionId.Length != 32 || request.Requester.Length != Address.Length || request.Signature.Length != EthSignature.Length) return null;
        var access = new PayloadAccess(request.SessionId.ToByteArray(), request.Step, request.FromStep, request.Timestamp);
        var claimed = new Address(request.Requester.Span);
        EthSignature signature;
        try
        {
            signature = EthSignature.FromBytes(request.Signature.Span);
        }
        catch (FormatException)
        {
            return null;
        }
        return EthKey.TryRecoverAddress(access.Digest(chainId, registry), signature) == claimed ? claimed : null;
    }
}
