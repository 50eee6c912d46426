using System.Text;
using Peerz.Chain.Abi;
using Peerz.Chain.Crypto;

namespace Peerz.Chain.TypedData;

/// <summary>
/// EIP-712 typed structured data hashing and signing. Struct values are dictionaries from field name to value
/// (nested structs as dictionaries, arrays as lists); atomic values follow <see cref="AbiCodec"/>'s mapping.
/// </summary>
public sealed class Eip712
{
    private const string DomainTypeName = "EIP712Domain";
    private readonly IReadOnlyDictionary<string, IReadOnlyList<Eip712Field>> _types;

    /// <param name="types">Struct types by name, without EIP712Domain (it is derived from the domain).</param>
    public Eip712(IReadOnlyDictionary<string, IReadOnlyList<Eip712Field>> types)
    {
        ArgumentNullException.ThrowIfNull(types);
        _types = types;
    }

    public static byte[] DomainSeparator(Eip712Domain domain)
    {
        ArgumentNullException.ThrowIfNull(domain);
        var (fields, values) = domain.ToStruct();
        var hasher = new Eip712(new Dictionary<string, IReadOnlyList<Eip712Field>> { [DomainTypeName] = fields });
        return hasher.HashStruct(DomainTypeName, values);
    }

    /// <summary>keccak256("\x19\x01" ‖ domainSeparator ‖ hashStruct(message)): what the signer signs.</summary>
    public byte[] Digest(Eip712Domain domain, string primaryType, IReadOnlyDictionary<string, object?> message)
    {
        byte[] preimage = [0x19, 0x01, .. DomainSeparator(domain), .. HashStruct(primaryType, message)];
        return Keccak.Hash(preimage);
    }

    public EthSignature Sign(EthKey key, Eip712Domain domain, string primaryType, IReadOnlyDictionary<string, object?> message)
    {
        ArgumentNullException.ThrowIfNull(key);
        return key.Sign(Digest(domain, primaryType, message));
    }

    /// <summary>encodeType: the primary type followed by its referenced types sorted by name.</summary>
    public string EncodeType(string primaryType)
    {
        var dependencies = new SortedSet<string>(StringComparer.Ordinal);
        CollectDependencies(primaryType, dependencies);
        dependencies.Remove(primaryType);
        var builder = new StringBuilder();
        foreach (var name in new[] { primaryType }.Concat(dependencies))
        {
            builder.Append(name).Append('(')
                .AppendJoin(',', Fields(name).Select(f => $"{f.Type} {f.Name}"))
                .Append(')');
        }

        return builder.ToString();
    }

    public byte[] TypeHash(string primaryType) => Keccak.Hash(EncodeType(primaryType));

    public byte[] HashStruct(string typeName, IReadOnlyDictionary<string, object?> value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var fields = Fields(typeName);
        var encoded = new byte[32 * (1 + fields.Count)];
        TypeHash(typeName).CopyTo(encoded, 0);
        for (var i = 0; i < fields.Count; i++)
        {
            if (!value.TryGetValue(fields[i].Name, out var fieldValue))
            {
                throw new ArgumentException($"EIP-712 value of {typeName} lacks field '{fields[i].Name}'.");
            }

            EncodeValue(fields[i].Type, fieldValue).CopyTo(encoded, 32 * (1 + i));
        }

        return Keccak.Hash(encoded);
    }

    private byte[] EncodeValue(string type, object? value)
    {
        if (type.EndsWith(']'))
        {
            var elementType = type[..type.LastIndexOf('[')];
            var items = value as System.Collections.IList
                ?? throw new ArgumentException($"EIP-712 {type} needs a list value.");
            var concatenated = new byte[32 * items.Count];
            for (var i = 0; i < items.Count; i++)
            {
                EncodeValue(elementType, items[i]).CopyTo(concatenated, 32 * i);
            }

            return Keccak.Hash(concatenated);
        }

        if (_types.ContainsKey(type))
        {
            return HashStruct(type, value as IReadOnlyDictionary<string, object?>
                ?? throw new ArgumentException($"EIP-712 struct {type} needs a dictionary value."));
        }

        return type switch
        {
            "string" => Keccak.Hash(value as string ?? throw new ArgumentException("EIP-712 string needs a string value.")),
            "bytes" => Keccak.Hash(value as byte[] ?? throw new ArgumentException("EIP-712 bytes needs a byte[] value.")),
            _ => AbiCodec.Encode([AbiType.Parse(type)], [value]),
        };
    }

    private void CollectDependencies(string type, SortedSet<string> found)
    {
        var baseType = type.Contains('[', StringComparison.Ordinal) ? type[..type.IndexOf('[', StringComparison.Ordinal)] : type;
        if (!_types.ContainsKey(baseType) || !found.Add(baseType))
        {
            return;
        }

        foreach (var field in _types[baseType])
        {
            CollectDependencies(field.Type, found);
        }
    }

    private IReadOnlyList<Eip712Field> Fields(string typeName) =>
        _types.TryGetValue(typeName, out var fields) ? fields : throw new ArgumentException($"Unknown EIP-712 type '{typeName}'.");
}
