namespace Peerz.Chain.Abi;

/// <summary>A Solidity ABI type (Solidity ABI specification, "Types").</summary>
public abstract record AbiType
{
    /// <summary>Canonical name used in signatures, e.g. "uint256", "(address,bytes)[]".</summary>
    public abstract string CanonicalName { get; }

    /// <summary>Dynamic types are encoded out of line behind an offset.</summary>
    public abstract bool IsDynamic { get; }

    /// <summary>Bytes this type occupies in the head of its enclosing tuple.</summary>
    public virtual int HeadSize => 32;

    public sealed override string ToString() => CanonicalName;

    /// <summary>Parses a canonical type string such as "uint256[2]" or "(bytes32,(uint8,string)[])".</summary>
    public static AbiType Parse(string type) => AbiTypeParser.Parse(type);
}

public sealed record AbiUInt(int Bits) : AbiType
{
    public override string CanonicalName => $"uint{Bits}";

    public override bool IsDynamic => false;
}

public sealed record AbiInt(int Bits) : AbiType
{
    public override string CanonicalName => $"int{Bits}";

    public override bool IsDynamic => false;
}

public sealed record AbiAddress : AbiType
{
    public override string CanonicalName => "address";

    public override bool IsDynamic => false;
}

public sealed record AbiBool : AbiType
{
    public override string CanonicalName => "bool";

    public override bool IsDynamic => false;
}

public sealed record AbiFixedBytes(int Size) : AbiType
{
    public override string CanonicalName => $"bytes{Size}";

    public override bool IsDynamic => false;
}

public sealed record AbiBytes : AbiType
{
    public override string CanonicalName => "bytes";

    public override bool IsDynamic => true;
}

public sealed record AbiString : AbiType
{
    public override string CanonicalName => "string";

    public override bool IsDynamic => true;
}

/// <summary>T[] when <paramref name="Length"/> is null, else T[k].</summary>
public sealed record AbiArray(AbiType Element, int? Length) : AbiType
{
    public override string CanonicalName => $"{Element.CanonicalName}[{Length}]";

    public override bool IsDynamic => Length is null || Element.IsDynamic;

    public override int HeadSize => IsDynamic ? 32 : Length!.Value * Element.HeadSize;
}

/// <summary>A tuple (struct); component names are kept for readable decoding but are not part of the type.</summary>
public sealed record AbiTuple(IReadOnlyList<AbiType> Components, IReadOnlyList<string>? Names = null) : AbiType
{
    public override string CanonicalName => "(" + string.Join(",", Components.Select(c => c.CanonicalName)) + ")";

    public override bool IsDynamic => Components.Any(c => c.IsDynamic);

    public override int HeadSize => IsDynamic ? 32 : Components.Sum(c => c.HeadSize);

    public bool Equals(AbiTuple? other) => other is not null && CanonicalName == other.CanonicalName;

    public override int GetHashCode() => CanonicalName.GetHashCode(StringComparison.Ordinal);
}
