using Peerz.Chain.Contracts;
using Peerz.Chain.Crypto;
using Peerz.Protocol.Payments;

namespace Peerz.Verifier.Tests.Hosting;

/// <summary>Signed receipts of fresh inference sessions, by step, as a provider key would sign them at the clock's time.</summary>
public sealed class SessionReceipts(TimeProvider time)
{
    private readonly EthKey _signer = EthKey.Generate();

    public Func<ulong, SignedReceipt> NewSession()
    {
        var id = WorkIds.NewSession(WorkKind.Inference);
        return step => SignedReceipt.Sign(new WorkReceipt(_signer.Address, Address.Zero, id, step, WorkIds.Model("tiny"), 0, 4, new byte[32], new byte[32], 1,
            (ulong)time.GetUtcNow().ToUnixTimeSeconds(), 0, 0), _signer, 31337, Address.Zero);
    }
}
