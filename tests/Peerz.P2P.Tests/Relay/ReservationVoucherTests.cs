using Peerz.P2P.Relay.Wire;

namespace Peerz.P2P.Tests.Relay;

/// <summary>The reservation voucher (a signed envelope, RFC 0002): only the relay's own signature for its domain opens it.</summary>
public sealed class ReservationVoucherTests
{
    [Fact]
    public void SealedVoucherOpensToWhatWasSigned()
    {
        var relay = Identity.Generate();
        var voucher = new ReservationVoucher(relay.PeerId, Identity.Generate().PeerId, 1_800_000_000);

        Assert.Equal(voucher, ReservationVoucher.Open(voucher.Seal(relay)));
    }

    [Fact]
    public void VoucherSignedBySomeoneElseIsRejected()
    {
        var relay = Identity.Generate();
        var voucher = new ReservationVoucher(relay.PeerId, Identity.Generate().PeerId, 1_800_000_000);

        Assert.Throws<FormatException>(() => ReservationVoucher.Open(voucher.Seal(Identity.Generate())));
    }

    [Fact]
    public void TamperedVoucherIsRejected()
    {
        var relay = Identity.Generate();
        var envelope = SignedEnvelope.Decode(new ReservationVoucher(relay.PeerId, Identity.Generate().PeerId, 1_800_000_000).Seal(relay));
        var longer = new ReservationVoucher(relay.PeerId, Identity.Generate().PeerId, 1_900_000_000).Encode();

        Assert.Throws<FormatException>(() => ReservationVoucher.Open((envelope with { Payload = longer }).Encode()));
    }

    [Fact]
    public void SignatureForAnotherDomainIsRejected()
    {
        var relay = Identity.Generate();
        var payload = new ReservationVoucher(relay.PeerId, Identity.Generate().PeerId, 1_800_000_000).Encode();
        var otherDomain = SignedEnvelope.Seal(relay, "libp2p-peer-record", ReservationVoucher.PayloadType, payload);

        Assert.Null(otherDomain.Verify(ReservationVoucher.Domain));
        Assert.Throws<FormatException>(() => ReservationVoucher.Open(otherDomain.Encode()));
    }
}
