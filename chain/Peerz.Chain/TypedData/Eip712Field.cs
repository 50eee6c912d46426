namespace Peerz.Chain.TypedData;

/// <summary>A member of an EIP-712 struct type, e.g. ("cumulativeAmount", "uint256").</summary>
public sealed record Eip712Field(string Name, string Type);
