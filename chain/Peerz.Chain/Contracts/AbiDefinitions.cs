using Peerz.Chain.Abi;

namespace Peerz.Chain.Contracts;

/// <summary>Short helpers for writing binding ABI definitions.</summary>
internal static class AbiDefinitions
{
    public static AbiParameter Indexed(string name, string type) => new(name, AbiType.Parse(type), true);

    public static AbiParameter Field(string name, string type) => new(name, AbiType.Parse(type));

    public static AbiEvent Event(string name, params AbiParameter[] inputs) => new(name, inputs);
}
