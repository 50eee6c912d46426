using Peerz.P2P.Encoding;

namespace Peerz.P2P.Relay.Wire;

/// <summary>
/// circuit-v2 Reservation: when it expires (unix seconds), the relay's addresses, and the voucher (a signed
/// envelope, kept as bytes here and checked by <see cref="ReservationVoucher.Open"/>).
/// </summary>
internal sealed record ReservationInfo(ulong Expire, IReadOnlyList<Multiaddr> Addresses, byte[]? Voucher)
{
    public byte[] Encode()
    {
        var writer = new ProtoWriter().WriteVarint(1, Expire);
        foreach (var address in Addresses)
        {
            writer.WriteBytes(2, address.ToBytes());
        }
        if (Voucher is not null)
        {
            writer.WriteBytes(3, Voucher);
        }
        return writer.ToArray();
    }

    public static ReservationInfo Decode(ReadOnlySpan<byte> data, int maxAddresses)
    {
        var reader = new ProtoReader(data);
        ulong? expire = null;
        var addresses = new List<Multiaddr>();
        byte[]? voucher = null;
        while (!reader.End)
        {
            var (field, wireType) = reader.ReadTag();
            switch (field)
            {
                case 1 when wireType == 0:
                    expire = reader.ReadVarint();
                    break;
                case 2 when wireType == 2:
                    var bytes = reader.ReadBytes();
                    if (addresses.Count < maxAddresses && RelayWire.TryDecodeAddress(bytes) is { } address)
                    {
                        addresses.Add(address);
                    }
                    break;
                case 3 when wireType == 2:
                    voucher = reader.ReadBytes().ToArray();
                    break;
                default:
                    reader.Skip(wireType);
                    break;
            }
        }
        return new ReservationInfo(expire ?? throw new FormatException("reservation without an expiry"), addresses, voucher);
    }
}
