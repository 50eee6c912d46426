using System.Numerics;
using Peerz.Chain.Abi;
using Peerz.Chain.Crypto;

namespace Peerz.Chain.Rpc;

/// <summary>What to send; gas is estimated when <paramref name="GasLimit"/> is null; <paramref name="Errors"/> decode reverts.</summary>
public sealed record TransactionRequest(
    Address? To,
    byte[] Data,
    BigInteger? Value = null,
    BigInteger? GasLimit = null,
    IReadOnlyList<AbiError>? Errors = null);
