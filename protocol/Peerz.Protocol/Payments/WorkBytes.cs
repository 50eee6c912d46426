using Google.Protobuf;
using Peerz.Chain.Crypto;
using Peerz.Protocol.Wire;

namespace Peerz.Protocol.Payments;

/// <summary>
/// The bytes a receipt's hashes cover: a request as sent without its voucher, a response as sent without
/// its receipt (protobuf encoding). Client, provider and verifier all hash these same bytes. An inference session's
/// LoRA adapter and deep prompts travel once, in its open (which has no receipt), so step 0's bytes carry them in
/// <see cref="InferenceStep.SessionAdapter"/> and <see cref="InferenceStep.SessionPrompts"/>: the provider signs what it
/// applies to the whole session.
/// </summary>
public static class WorkBytes
{
    public static byte[] Input(InferenceStep step, LoraTensors? sessionAdapter = null, SerializedTensor? sessionPrompts = null) => Without(step, s =>
    {
        s.Voucher = null;
        if (s.Step != 0) return;
        s.SessionAdapter = sessionAdapter;
        s.SessionPrompts = sessionPrompts;
    });

    public static byte[] Input(ForwardRequest request) => Without(request, r => r.Voucher = null);

    public static byte[] Input(BackwardRequest request) => Without(request, r => r.Voucher = null);

    public static byte[] Output(StepOutput output) => Without(output, o => o.Receipt = null);

    public static byte[] Output(ForwardResponse response) => Without(response, r => r.Receipt = null);

    public static byte[] Output(BackwardResponse response) => Without(response, r => r.Receipt = null);

    public static byte[] Hash(byte[] bytes) => Keccak.Hash(bytes);

    private static byte[] Without<T>(T message, Action<T> clear) where T : IMessage<T>, IDeepCloneable<T>
    {
        var copy = message.Clone();
        clear(copy);
        return copy.ToByteArray();
    }
}
