using System.Numerics;
using Peerz.Cli.Commands;
using Peerz.Hosting;
using Peerz.Hosting.Chain;

namespace Peerz.Cli.Tests;

public sealed class PrzAmountTests
{
    [Theory]
    [InlineData("12.5", "12500000000000000000")]
    [InlineData("1", "1000000000000000000")]
    [InlineData("0.000000000000000001", "1")]
    [InlineData(".5", "500000000000000000")]
    [InlineData("100000", "100000000000000000000000")]
    [InlineData("3.141592653589793238", "3141592653589793238")]
    public void Converts_decimal_PRZ_exactly_to_wei(string text, string wei)
    {
        Assert.Equal(BigInteger.Parse(wei), ChainCommandOptions.PositiveAmount(text));
        Assert.Equal(BigInteger.Parse(wei), PrzAmount.ParseToWei(PrzAmount.Format(BigInteger.Parse(wei)), "amount"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("-1")]
    [InlineData("+1")]
    [InlineData("1e18")]
    [InlineData("1,5")]
    [InlineData("1.2.3")]
    [InlineData("0")]
    [InlineData("0.0000000000000000001")]
    [InlineData("abc")]
    [InlineData(" 1 2")]
    public void Rejects_bad_amounts_with_a_user_error(string text) => Assert.Throws<UserErrorException>(() => ChainCommandOptions.PositiveAmount(text));

    [Fact]
    public void Formats_without_trailing_zeros() => Assert.Equal("12.5", PrzAmount.Format(BigInteger.Parse("12500000000000000000")));

    [Fact]
    public void Weights_parse_in_contract_order_whatever_the_order_typed()
    {
        Assert.Equal(new BigInteger[] { 60, 20, 15, 5 }, DaoCommand.ParseWeights(["routing=5", "inference=60", "verification=15", "training=20"]));
        Assert.Throws<UserErrorException>(() => DaoCommand.ParseWeights(["inference=60", "training=20", "verification=15"]));
        Assert.Throws<UserErrorException>(() => DaoCommand.ParseWeights(["inference=60", "training=20", "verification=15", "routing=x"]));
        Assert.Throws<UserErrorException>(() => DaoCommand.ParseWeights(["inference=0", "training=0", "verification=0", "routing=0"]));
        Assert.Throws<UserErrorException>(() => DaoCommand.ParseWeights(["inference=60", "inference=20", "verification=15", "routing=5"]));
    }
}
