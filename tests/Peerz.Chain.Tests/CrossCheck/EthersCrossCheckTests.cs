using System.Numerics;
using System.Text.Json.Nodes;
using Peerz.Chain.Abi;
using Peerz.Chain.Contracts;
using Peerz.Chain.Crypto;
using Peerz.Chain.Primitives;
using Peerz.Chain.Rlp;
using Peerz.Chain.Transactions;
using Peerz.Chain.TypedData;
using Peerz.Chain.Wallet;
using Peerz.Testing;
using Xunit.Abstractions;

namespace Peerz.Chain.Tests.CrossCheck;

/// <summary>
/// Random inputs chosen here, answered by ethers v6 in a Node process during the run, compared with our output.
/// The seed is printed so a failure can be replayed (PEERZ_TEST_SEED).
/// </summary>
[Trait("Category", "JavaScript")]
public sealed class EthersCrossCheckTests(ITestOutputHelper output)
{
    private const int Count = 40;

    private readonly int _seed = int.TryParse(Environment.GetEnvironmentVariable("PEERZ_TEST_SEED"), out var s) ? s : Random.Shared.Next();

    [Fact]
    public async Task Hashes_signatures_checksums_rlp_transactions_abi_typed_data_and_keystores_match_ethers()
    {
        output.WriteLine($"seed {_seed}");
        var random = new Random(_seed);
        var abi = new RandomAbi(random);

        var keccakInputs = Enumerable.Range(0, Count).Select(i => abi.Bytes(random.Next(0, 300))).ToArray();
        var keys = Enumerable.Range(0, Count).Select(_ => EthKey.Generate()).ToArray();
        var hashes = keys.Select(_ => abi.Bytes(32)).ToArray();
        var addresses = Enumerable.Range(0, Count).Select(_ => new Address(abi.Bytes(20))).ToArray();
        var rlpItems = Enumerable.Range(0, Count).Select(_ => RandomRlp(random, abi, 0)).ToArray();
        var transactions = Enumerable.Range(0, Count).Select(i => RandomTransaction(random, abi, i % 2 == 0)).ToArray();
        var abiCases = Enumerable.Range(0, 4 * Count).Select(_ =>
        {
            var types = Enumerable.Range(0, random.Next(1, 5)).Select(_ => abi.Type()).ToArray();
            return (Types: types, Values: types.Select(abi.Value).ToArray());
        }).ToArray();
        var vouchers = Enumerable.Range(0, Count).Select(_ => RandomVoucher(random, abi)).ToArray();
        var leaves = addresses.Select(a => (Account: a, Role: (RewardRole)random.Next(4), Amount: (BigInteger)abi.Value(new AbiUInt(256)))).ToArray();
        var keystoreKeys = Enumerable.Range(0, 3).Select(_ => EthKey.Generate()).ToArray();

        var request = new JsonObject
        {
            ["keccak"] = new JsonArray(keccakInputs.Select(b => (JsonNode)Hex.Encode(b)).ToArray()),
            ["signatures"] = new JsonArray(keys.Select((k, i) => (JsonNode)new JsonObject { ["key"] = Hex.Encode(k.ExportPrivateKey()), ["hash"] = Hex.Encode(hashes[i]) }).ToArray()),
            ["checksums"] = new JsonArray(addresses.Select(a => (JsonNode)a.ToString().ToLowerInvariant()).ToArray()),
            ["rlp"] = new JsonArray(rlpItems.Select(RlpJson).ToArray()),
            ["transactions"] = new JsonArray(transactions.Select(t => t.Json).ToArray()),
            ["abi"] = new JsonArray(abiCases.Select(c => (JsonNode)new JsonObject
            {
                ["types"] = new JsonArray(c.Types.Select(t => (JsonNode)t.CanonicalName).ToArray()),
                ["values"] = new JsonArray(c.Values.Select(RandomAbi.ToJson).ToArray()),
            }).ToArray()),
            ["typedData"] = new JsonArray(vouchers.Select(v => v.Json).ToArray()),
            ["rewardLeaves"] = new JsonArray(leaves.Select(l => (JsonNode)new JsonObject { ["account"] = l.Account.ToString(), ["role"] = (int)l.Role, ["amount"] = l.Amount.ToString() }).ToArray()),
            ["keystores"] = new JsonArray(keystoreKeys.Select(k => (JsonNode)new JsonObject { ["key"] = Hex.Encode(k.ExportPrivateKey()), ["password"] = "pw " + k.Address }).ToArray()),
        };
        var answer = await NodeScript.RequestAsync(NodeScript.TestScript("Peerz.Chain.Tests", "ethers-vectors.mjs"), request);

        for (var i = 0; i < Count; i++)
        {
            Assert.Equal(answer["keccak"]![i]!.GetValue<string>(), Hex.Encode(Keccak.Hash(keccakInputs[i])));
            var signature = keys[i].Sign(hashes[i]);
            Assert.Equal(answer["signatures"]![i]!["signature"]!.GetValue<string>(), signature.ToHex());
            Assert.Equal(answer["signatures"]![i]!["address"]!.GetValue<string>(), keys[i].Address.ToString());
            Assert.Equal(answer["checksums"]![i]!.GetValue<string>(), addresses[i].ToString());
            var encoded = RlpEncoder.Encode(rlpItems[i]);
            Assert.Equal(answer["rlp"]![i]!.GetValue<string>(), Hex.Encode(encoded));
            Assert.Equal(Hex.Encode(encoded), Hex.Encode(RlpEncoder.Encode(RlpDecoder.Decode(encoded))));
            var signed = SignedTransaction.Sign(transactions[i].Transaction, transactions[i].Key);
            Assert.Equal(answer["transactions"]![i]!["raw"]!.GetValue<string>(), signed.RawHex);
            Assert.Equal(answer["transactions"]![i]!["hash"]!.GetValue<string>(), signed.HashHex);
            Assert.Equal(answer["typedData"]![i]!.GetValue<string>(), Hex.Encode(vouchers[i].Digest));
            Assert.Equal(answer["rewardLeaves"]![i]!.GetValue<string>(), Hex.Encode(EpochRewards.Leaf(leaves[i].Account, leaves[i].Role, leaves[i].Amount)));
        }

        for (var i = 0; i < abiCases.Length; i++)
        {
            var (types, values) = abiCases[i];
            var ours = AbiCodec.Encode(types, values);
            Assert.True(answer["abi"]![i]!.GetValue<string>() == Hex.Encode(ours), $"ABI case {i} ({string.Join(",", types.Select(t => t.CanonicalName))}) differs from ethers");
            var decoded = AbiCodec.Decode(types, ours);
            Assert.Equal(Hex.Encode(ours), Hex.Encode(AbiCodec.Encode(types, decoded)));
        }

        for (var i = 0; i < keystoreKeys.Length; i++)
        {
            var json = answer["keystores"]![i]!.GetValue<string>();
            Assert.Equal(keystoreKeys[i].Address, Keystore.Decrypt(json, "pw " + keystoreKeys[i].Address).Address);
        }
    }

    private static RlpItem RandomRlp(Random random, RandomAbi abi, int depth) =>
        depth < 3 && random.Next(3) == 0
            ? RlpItem.List(Enumerable.Range(0, random.Next(0, 5)).Select(_ => RandomRlp(random, abi, depth + 1)).ToArray())
            : RlpItem.String(abi.Bytes(random.Next(4) switch { 0 => 1, 1 => random.Next(0, 56), 2 => random.Next(56, 300), _ => 0 }));

    private static JsonNode RlpJson(RlpItem item) =>
        item.IsList ? new JsonArray(item.Items.Select(RlpJson).ToArray()) : JsonValue.Create(Hex.Encode(item.Bytes.Span))!;

    private static (IUnsignedTransaction Transaction, EthKey Key, JsonNode Json) RandomTransaction(Random random, RandomAbi abi, bool legacy)
    {
        var key = EthKey.Generate();
        BigInteger chainId = random.Next(1, 100_000);
        BigInteger nonce = random.Next(0, 1_000_000);
        BigInteger gas = random.Next(21_000, 10_000_000);
        var to = random.Next(5) == 0 ? (Address?)null : new Address(abi.Bytes(20));
        var value = new BigInteger(abi.Bytes(random.Next(0, 16)), isUnsigned: true);
        var data = abi.Bytes(random.Next(0, 100));
        BigInteger fee1 = random.NextInt64(0, 1_000_000_000_000);
        var fee2 = fee1 + random.NextInt64(0, 1_000_000_000_000);
        var json = new JsonObject
        {
            ["type"] = legacy ? 0 : 2,
            ["key"] = Hex.Encode(key.ExportPrivateKey()),
            ["chainId"] = chainId.ToString(),
            ["nonce"] = nonce.ToString(),
            ["gasLimit"] = gas.ToString(),
            ["to"] = to?.ToString(),
            ["value"] = value.ToString(),
            ["data"] = Hex.Encode(data),
            ["gasPrice"] = fee2.ToString(),
            ["maxPriorityFeePerGas"] = fee1.ToString(),
            ["maxFeePerGas"] = fee2.ToString(),
        };
        IUnsignedTransaction tx = legacy
            ? new LegacyTransaction(chainId, nonce, fee2, gas, to, value, data)
            : new Eip1559Transaction(chainId, nonce, fee1, fee2, gas, to, value, data);
        return (tx, key, json);
    }

    // The Peerz Voucher and Receipt types (contracts' EIP-712 structs) with random values, plus a nested-array type.
    private static (byte[] Digest, JsonNode Json) RandomVoucher(Random random, RandomAbi abi)
    {
        var contract = new Address(abi.Bytes(20));
        var chainId = new BigInteger(random.Next(1, 1_000_000));
        var domain = new Eip712Domain("Peerz Payment Escrow", "1", chainId, contract);
        var types = new Dictionary<string, IReadOnlyList<Eip712Field>>
        {
            ["Voucher"] = [new("client", "address"), new("provider", "address"), new("cumulativeAmount", "uint256"), new("nonce", "uint256"), new("note", "Note[]")],
            ["Note"] = [new("text", "string"), new("blob", "bytes"), new("tags", "bytes32[]")],
        };
        var notes = Enumerable.Range(0, random.Next(0, 3)).Select(_ => (object?)new Dictionary<string, object?>
        {
            ["text"] = "note " + random.Next(),
            ["blob"] = abi.Bytes(random.Next(0, 40)),
            ["tags"] = Enumerable.Range(0, random.Next(0, 3)).Select(_ => (object?)abi.Bytes(32)).ToArray(),
        }).ToArray();
        var message = new Dictionary<string, object?>
        {
            ["client"] = new Address(abi.Bytes(20)),
            ["provider"] = new Address(abi.Bytes(20)),
            ["cumulativeAmount"] = (BigInteger)abi.Value(new AbiUInt(256)),
            ["nonce"] = (BigInteger)abi.Value(new AbiUInt(64)),
            ["note"] = notes,
        };
        var digest = new Eip712(types).Digest(domain, "Voucher", message);
        var json = new JsonObject
        {
            ["domain"] = new JsonObject { ["name"] = domain.Name, ["version"] = domain.Version, ["chainId"] = chainId.ToString(), ["verifyingContract"] = contract.ToString() },
            ["types"] = new JsonObject
            {
                ["Voucher"] = FieldsJson(types["Voucher"]),
                ["Note"] = FieldsJson(types["Note"]),
            },
            ["message"] = MessageJson(message),
        };
        return (digest, json);
    }

    private static JsonArray FieldsJson(IReadOnlyList<Eip712Field> fields) =>
        new(fields.Select(f => (JsonNode)new JsonObject { ["name"] = f.Name, ["type"] = f.Type }).ToArray());

    private static JsonNode? MessageJson(object? value) => value switch
    {
        IReadOnlyDictionary<string, object?> map => new JsonObject(map.Select(kv => KeyValuePair.Create(kv.Key, MessageJson(kv.Value)))),
        object?[] list => new JsonArray(list.Select(MessageJson).ToArray()),
        _ => RandomAbi.ToJson(value),
    };
}
