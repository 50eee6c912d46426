using Google.Protobuf;
using Peerz.Model.Blocks;
using Peerz.Model.Configuration;
using Peerz.Protocol.Payments;
using Peerz.Protocol.Tensors;
using Peerz.Protocol.Wire;

namespace Peerz.Protocol.Tests;

/// <summary>
/// The expert choices a mixture-of-experts provider signs with each output: covered by the receipt's output hash, absent
/// (and hashing as before) for dense outputs, and decoded only when they fit the tokens and the model.
/// </summary>
public sealed class ExpertChoicesTests
{
    private static readonly ModelConfig Mixtral = new() { ModelType = "mixtral", NumExperts = 8, ExpertsPerToken = 2, HiddenSize = 64, IntermediateSize = 128, NumLayers = 4, NumHeads = 4, NumKeyValueHeads = 2, VocabSize = 256 };
    private static readonly SerializedTensor Hidden = new() { Dtype = TensorDType.Float32, Shape = { 1, 2, 1 }, Data = ByteString.CopyFrom(new byte[8]) };

    /// <summary>2 blocks × 1 row × 2 positions × top-2.</summary>
    private static RoutedExperts Routed() => new(2, 1, 2, 2, [0, 1, 7, 3, 2, 5, 6, 4]);

    [Fact]
    public void A_dense_output_hashes_exactly_as_before_the_field_existed()
    {
        // Fields 1 (step) and 2 (hidden) written by hand: the bytes a StepOutput had before expert choices existed.
        using var stream = new MemoryStream();
        var coded = new CodedOutputStream(stream);
        coded.WriteTag(1, WireFormat.WireType.Varint);
        coded.WriteUInt64(5);
        coded.WriteTag(2, WireFormat.WireType.LengthDelimited);
        coded.WriteMessage(Hidden);
        coded.Flush();
        var output = new StepOutput { Step = 5, Hidden = Hidden, Experts = ExpertChoicesCodec.Encode(null) };
        Assert.Equal(stream.ToArray(), WorkBytes.Output(output));
    }

    [Fact]
    public void The_output_hash_covers_every_expert_index()
    {
        var signed = new StepOutput { Step = 5, Hidden = Hidden, Experts = ExpertChoicesCodec.Encode(Routed()) };
        var hash = WorkBytes.Hash(WorkBytes.Output(signed));
        Assert.NotEqual(hash, WorkBytes.Hash(WorkBytes.Output(new StepOutput { Step = 5, Hidden = Hidden })));
        for (var i = 0; i < Routed().Experts.Length; i++)
        {
            var other = signed.Clone();
            other.Experts.Experts[i] = (other.Experts.Experts[i] + 1) % 8;
            Assert.NotEqual(hash, WorkBytes.Hash(WorkBytes.Output(other)));
        }
    }

    [Fact]
    public void Choices_round_trip_through_the_wire()
    {
        var decoded = ExpertChoicesCodec.Decode(StepOutput.Parser.ParseFrom(new StepOutput { Experts = ExpertChoicesCodec.Encode(Routed()) }.ToByteArray()).Experts, Mixtral, 2, 1, 2);
        Assert.Equal((2, 1, 2, 2), (decoded.Blocks, decoded.Batch, decoded.Positions, decoded.PerToken));
        Assert.Equal(Routed().Experts, decoded.Experts);
        Assert.True(ExpertChoicesCodec.Encode(Routed())!.CalculateSize() <= ExpertChoicesCodec.MaxBytes(Mixtral, 2, 2));
    }

    [Theory]
    [InlineData(3, 1, 2, 2, "0,1,7,3,2,5,6,4,0,1,2,3", "blocks")]
    [InlineData(2, 1, 3, 2, "0,1,7,3,2,5,6,4,0,1,2,3", "tokens")]
    [InlineData(2, 1, 2, 3, "0,1,7,3,2,5,6,4,0,1,2,3", "per token")]
    [InlineData(2, 1, 2, 2, "0,1,7,3,2,5,6", "too few indices")]
    [InlineData(2, 1, 2, 2, "0,1,7,3,2,5,6,8", "an index past the experts")]
    [InlineData(2, 1, 2, 2, "0,1,7,3,2,5,4,4", "an expert twice for one token")]
    public void Choices_that_do_not_fit_the_tokens_or_the_model_are_refused(uint blocks, uint batch, uint positions, uint perToken, string experts, string what)
    {
        var message = new ExpertChoices { Blocks = blocks, Batch = batch, Positions = positions, PerToken = perToken };
        message.Experts.AddRange(experts.Split(',').Select(uint.Parse));
        var error = Assert.Throws<FormatException>(() => ExpertChoicesCodec.Decode(message, Mixtral, 2, 1, 2));
        Assert.False(string.IsNullOrEmpty(error.Message), what);
    }
}
