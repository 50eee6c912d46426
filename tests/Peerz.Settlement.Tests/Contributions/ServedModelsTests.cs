using Peerz.Chain.Crypto;
using Peerz.Settlement.Contributions;

namespace Peerz.Settlement.Tests.Contributions;

public sealed class ServedModelsTests
{
    [Fact]
    public void Names_map_to_the_receipt_model_id_and_hex_ids_are_taken_as_is()
    {
        var id = Keccak.Hash("other");
        var models = ServedModels.Parse(["tiny-llama=8", $"{Peerz.Chain.Primitives.Hex.Encode(id)}=32"]);
        Assert.Equal(8u, models.LayersOf(Keccak.Hash("tiny-llama")));
        Assert.Equal(32u, models.LayersOf(id));
        Assert.Null(models.LayersOf(Keccak.Hash("unknown")));
    }

    [Theory]
    [InlineData("tiny-llama")]
    [InlineData("tiny-llama=0")]
    [InlineData("tiny-llama=-1")]
    [InlineData("=8")]
    [InlineData("tiny-llama=x")]
    public void Malformed_entries_are_refused(string entry) => Assert.Throws<FormatException>(() => ServedModels.Parse([entry]));

    [Fact]
    public void A_model_given_twice_is_refused() => Assert.Throws<FormatException>(() => ServedModels.Parse(["a=1", "a=2"]));
}
