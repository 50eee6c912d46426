using System.Diagnostics;
using Peerz.Chain.Abi;
using Peerz.Chain.Rlp;
using Peerz.Chain.Tests.CrossCheck;
using Peerz.Chain.Wallet;
using Xunit.Abstractions;

namespace Peerz.Chain.Tests.Fuzz;

/// <summary>
/// Random and mutated inputs to every decoder of untrusted bytes: each must either decode or throw its own
/// documented exception type, within a bounded time.
/// </summary>
public sealed class DecoderFuzzTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(3);
    private readonly int _seed = Random.Shared.Next();

    [Fact]
    public void Rlp_decoder_survives_random_and_mutated_input()
    {
        var random = Seeded();
        var abi = new RandomAbi(random);
        var runs = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < Budget)
        {
            var valid = RlpEncoder.Encode(RlpItem.List(RlpItem.String(abi.Bytes(random.Next(0, 80))), RlpItem.List(RlpItem.Integer(random.Next()))));
            var input = random.Next(2) == 0 ? abi.Bytes(random.Next(0, 64)) : Mutate(random, valid);
            try
            {
                var item = RlpDecoder.Decode(input);
                Assert.Equal(input, RlpEncoder.Encode(item));
            }
            catch (RlpException)
            {
            }

            runs++;
        }

        output.WriteLine($"{runs} RLP inputs");
        Assert.True(runs > 1000);
    }

    [Fact]
    public void Abi_decoder_survives_random_and_mutated_input()
    {
        var random = Seeded();
        var abi = new RandomAbi(random);
        var runs = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < Budget)
        {
            var types = Enumerable.Range(0, random.Next(1, 4)).Select(_ => abi.Type()).ToArray();
            var valid = AbiCodec.Encode(types, types.Select(abi.Value).ToArray());
            var input = random.Next(4) == 0 ? abi.Bytes(random.Next(0, 256)) : Mutate(random, valid);
            try
            {
                AbiCodec.Decode(types, input);
            }
            catch (AbiException)
            {
            }

            runs++;
        }

        output.WriteLine($"{runs} ABI inputs");
        Assert.True(runs > 1000);
    }

    [Fact]
    public void Keystore_decoder_survives_mutated_json()
    {
        var random = Seeded();
        var valid = Keystore.Encrypt(Peerz.Chain.Crypto.EthKey.Generate(), "pw", new ScryptKdf(16, 1, 1));
        var runs = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < Budget)
        {
            var chars = valid.ToCharArray();
            for (var i = random.Next(1, 4); i > 0; i--)
            {
                chars[random.Next(chars.Length)] = "{}[]\":,0123456789abcdefnrxyz -"[random.Next(30)];
            }

            try
            {
                Keystore.Decrypt(new string(chars, 0, random.Next(2) == 0 ? chars.Length : random.Next(chars.Length)), "pw");
            }
            catch (KeystoreException)
            {
            }

            runs++;
        }

        output.WriteLine($"{runs} keystore inputs");
        Assert.True(runs > 100);
    }

    private Random Seeded()
    {
        output.WriteLine($"seed {_seed}");
        return new Random(_seed);
    }

    private static byte[] Mutate(Random random, byte[] valid)
    {
        var bytes = (byte[])valid.Clone();
        switch (random.Next(3))
        {
            case 0 when bytes.Length > 0:
                for (var i = random.Next(1, 4); i > 0; i--)
                {
                    bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
                }

                return bytes;
            case 1:
                return bytes[..random.Next(bytes.Length + 1)];
            default:
                var position = random.Next(bytes.Length + 1);
                return [.. bytes[..position], 0xff, 0xff, 0xff, 0xff, .. bytes[position..]];
        }
    }
}
