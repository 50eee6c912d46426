using Google.Protobuf;
using Peerz.Protocol.Tensors;
using Peerz.Protocol.Wire;
using static TorchSharp.torch;

namespace Peerz.Protocol.Tests;

public sealed class TensorCodecTests
{
    private static Tensor Hidden(ScalarType dtype = ScalarType.Float32) =>
        (randn([2, 5, 96], generator: manual_seed(9)) * linspace(0.01, 30, 96)).to_type(dtype);

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float16)]
    [InlineData(ScalarType.BFloat16)]
    public void Uncompressed_tensors_round_trip_bit_exactly(ScalarType dtype)
    {
        using var original = Hidden(dtype);
        var message = SerializedTensor.Parser.ParseFrom(TensorCodec.Encode(original, TensorCompression.None).ToByteArray());
        using var decoded = TensorCodec.Decode(message, TensorLimits.Default);
        Assert.Equal(dtype, decoded.dtype);
        Assert.Equal(original.shape, decoded.shape);
        Assert.True(original.equal(decoded).all().item<bool>());
    }

    [Fact]
    public void Float16_compression_halves_the_size_with_half_precision_error()
    {
        using var original = Hidden();
        var message = TensorCodec.Encode(original, TensorCompression.Float16);
        Assert.Equal(original.NumberOfElements * 2, message.Data.Length);
        using var decoded = TensorCodec.Decode(message, TensorLimits.Default);
        Assert.Equal(ScalarType.Float32, decoded.dtype);
        // IEEE half has an 11-bit significand: relative rounding error ≤ 2^-11 for normal values.
        using var relative = ((decoded - original).abs() / original.abs().clamp_min(1e-3)).max();
        Assert.True(relative.item<float>() <= MathF.Pow(2, -11) * 1.01f, $"relative error {relative.item<float>()}");
    }

    [Fact]
    public void Blockwise_int8_error_is_within_half_a_step_of_each_blocks_absmax()
    {
        using var original = Hidden();
        var values = original.flatten().data<float>().ToArray();
        var message = TensorCodec.Encode(original, TensorCompression.BlockwiseInt8);
        var blocks = (values.Length + 63) / 64;
        Assert.Equal(blocks * 4 + values.Length, message.Data.Length);
        using var decoded = TensorCodec.Decode(message, TensorLimits.Default);
        var roundTrip = decoded.flatten().data<float>().ToArray();
        for (var block = 0; block < blocks; block++)
        {
            var range = Enumerable.Range(block * 64, Math.Min(64, values.Length - block * 64)).ToArray();
            var halfStep = range.Max(i => Math.Abs(values[i])) / 127.0 / 2;
            foreach (var i in range)
                Assert.True(Math.Abs(roundTrip[i] - values[i]) <= halfStep * 1.001 + 1e-7, $"value {i}: {values[i]} became {roundTrip[i]}");
        }
    }

    [Fact]
    public void An_all_zero_block_and_an_empty_tensor_survive_quantization()
    {
        using var zerosTensor = zeros(3, 70);
        using var decoded = TensorCodec.Decode(TensorCodec.Encode(zerosTensor, TensorCompression.BlockwiseInt8), TensorLimits.Default);
        Assert.Equal(0, decoded.abs().sum().item<float>());
        using var none = zeros(0, 8);
        using var empty = TensorCodec.Decode(TensorCodec.Encode(none, TensorCompression.BlockwiseInt8), TensorLimits.Default);
        Assert.Equal(new long[] { 0, 8 }, empty.shape);
    }

    public static TheoryData<string, SerializedTensor, string> Malformed => new()
    {
        { "truncated", Message([2, 3], TensorCompression.None, 20), "needs 24" },
        { "too long", Message([2, 3], TensorCompression.None, 28), "needs 24" },
        { "negative dim", Message([-1, 3], TensorCompression.None, 0), "negative" },
        { "huge shape", Message([1L << 40, 1L << 40], TensorCompression.None, 0), "exceeds" },
        { "rank", Message([1, 1, 1, 1, 1], TensorCompression.None, 4), "rank" },
        { "int8 short", Message([100], TensorCompression.BlockwiseInt8, 100), "need" },
        { "unknown compression", Message([1], (TensorCompression)9, 4), "compression" },
        { "unknown dtype", Message([1], TensorCompression.None, 4, (TensorDType)7), "dtype" },
        { "unspecified dtype", Message([1], TensorCompression.None, 4, TensorDType.Unspecified), "dtype" },
        { "nan scale", NanScale(), "scale" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Malformed_tensors_are_rejected_with_a_clear_error(string name, SerializedTensor message, string fragment)
    {
        var error = Assert.Throws<TensorFormatException>(() => TensorCodec.Decode(message, TensorLimits.Default));
        Assert.Contains(fragment, error.Message);
        Assert.NotNull(name);
    }

    [Fact]
    public void Limits_bound_what_a_peer_can_make_us_allocate()
    {
        using var big = zeros(10, 100);
        var message = TensorCodec.Encode(big, TensorCompression.None);
        Assert.Throws<TensorFormatException>(() => TensorCodec.Decode(message, new TensorLimits(999)));
        using var ok = TensorCodec.Decode(message, new TensorLimits(1000));
    }

    [Fact]
    public void Random_bytes_never_escape_as_anything_but_format_errors()
    {
        var random = new Random(77);
        for (var i = 0; i < 5000; i++)
        {
            var bytes = new byte[random.Next(0, 64)];
            random.NextBytes(bytes);
            try
            {
                using var decoded = TensorCodec.Decode(SerializedTensor.Parser.ParseFrom(bytes), new TensorLimits(1 << 16));
            }
            catch (Exception e) when (e is TensorFormatException or InvalidProtocolBufferException)
            {
                // Expected for garbage.
            }
        }
    }

    private static SerializedTensor Message(long[] shape, TensorCompression compression, int bytes, TensorDType dtype = TensorDType.Float32)
    {
        var message = new SerializedTensor { Dtype = dtype, Compression = compression, Data = ByteString.CopyFrom(new byte[bytes]) };
        message.Shape.AddRange(shape);
        return message;
    }

    private static SerializedTensor NanScale()
    {
        var data = new byte[4 + 8];
        BitConverter.GetBytes(float.NaN).CopyTo(data, 0);
        var message = new SerializedTensor { Dtype = TensorDType.Float32, Compression = TensorCompression.BlockwiseInt8, Data = ByteString.CopyFrom(data) };
        message.Shape.Add(8);
        return message;
    }
}
