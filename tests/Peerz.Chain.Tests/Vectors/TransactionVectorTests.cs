using System.Numerics;
using Peerz.Chain.Crypto;
using Peerz.Chain.Primitives;
using Peerz.Chain.Transactions;

namespace Peerz.Chain.Tests.Vectors;

public sealed class TransactionVectorTests
{
    // EIP-155 specification, section "Example": nonce 9, gas price 20 gwei, gas 21000, to 0x3535…35, 1 ether,
    // chain id 1, private key 0x4646…46.
    private static readonly LegacyTransaction Example = new(
        ChainId: 1,
        Nonce: 9,
        GasPrice: 20_000_000_000,
        GasLimit: 21000,
        To: Address.Parse("0x3535353535353535353535353535353535353535"),
        Value: BigInteger.Pow(10, 18),
        Data: []);

    [Fact]
    public void Eip155_example_signing_hash_matches_the_eip()
    {
        Assert.Equal("0xdaf5a779ae972f972197303d7b574746c7ef83eadac0f2791ad23db92e4c8e53", Hex.Encode(Example.SigningHash()));
    }

    [Fact]
    public void Eip155_example_signed_transaction_matches_the_eip()
    {
        var key = EthKey.FromHex("0x4646464646464646464646464646464646464646464646464646464646464646");
        var signed = SignedTransaction.Sign(Example, key);
        Assert.Equal(
            "0xf86c098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a76400008025a028ef61340bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276a067cbe9d8997f761aecb703304b3800ccf555c9f3dc64214b297fb1966a3b6d83",
            signed.RawHex);
    }
}
