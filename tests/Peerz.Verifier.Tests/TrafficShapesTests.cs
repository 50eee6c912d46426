using Peerz.Chain.Contracts;
using Peerz.Chain.Crypto;
using Peerz.Protocol.Payments;
using Peerz.Verifier.Probing;

namespace Peerz.Verifier.Tests;

public sealed class TrafficShapesTests
{
    [Fact]
    public void Probes_take_the_shapes_of_reported_receipts_each_counted_once()
    {
        var shapes = new TrafficShapes(capacity: 4);
        var forward = Receipt(WorkKind.Forward, tokens: 7, step: 0);
        for (var i = 0; i < 50; i++) shapes.Observe(forward); // reporting one receipt again does not weigh its shape more
        shapes.Observe(Receipt(WorkKind.Inference, tokens: 3, step: 5));
        var drawn = Enumerable.Range(0, 400).Select(i => shapes.Draw(new Random(i))).ToList();
        Assert.Equal(2, drawn.Distinct().Count());
        Assert.InRange(drawn.Count(s => s.Kind == WorkKind.Forward), 140, 260);
        Assert.Contains(new ProbeShape(WorkKind.Forward, 7, 0), drawn);
        Assert.Contains(new ProbeShape(WorkKind.Inference, 3, 5), drawn);
    }

    private static SignedReceipt Receipt(WorkKind kind, uint tokens, ulong step)
    {
        var key = EthKey.Generate();
        return SignedReceipt.Sign(new WorkReceipt(key.Address, Address.Zero, WorkIds.NewSession(kind), step, WorkIds.Model("tiny"), 0, 4, new byte[32], new byte[32], tokens, 0, 0, 0),
            key, 1, Address.Zero);
    }
}
