using System.Numerics;
using System.Text.Json.Nodes;
using Peerz.Chain.Crypto;
using Peerz.Chain.Primitives;

namespace Peerz.Chain.Rpc;

/// <summary>The call object of eth_call and eth_estimateGas.</summary>
public sealed record CallRequest(Address? To, byte[] Data, Address? From = null, BigInteger? Value = null)
{
    internal JsonObject ToJson()
    {
        var json = new JsonObject { ["data"] = Hex.Encode(Data) };
        if (To is { } to)
        {
            json["to"] = to.ToString();
        }

        if (From is { } from)
        {
            json["from"] = from.ToString();
        }

        if (Value is { } value)
        {
            json["value"] = Hex.EncodeQuantity(value);
        }

        return json;
    }
}
