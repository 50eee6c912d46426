using Peerz.Chain.Contracts;

namespace Peerz.Settlement.Contributions;

/// <summary>What the first byte of a receipt's sessionId says about the work (set by the provider's session handlers).</summary>
public static class SessionKind
{
    public const byte InferenceSession = 0x01;
    public const byte Forward = 0x02;
    public const byte Backward = 0x03;

    /// <summary>Inference for inference sessions; training for forward and backward passes; null for anything else.</summary>
    public static RewardRole? RoleOf(ReadOnlySpan<byte> sessionId) => sessionId.IsEmpty ? null : sessionId[0] switch
    {
        InferenceSession => RewardRole.Inference,
        Forward or Backward => RewardRole.Training,
        _ => null,
    };
}
