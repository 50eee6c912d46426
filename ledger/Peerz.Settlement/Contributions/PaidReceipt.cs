using System.Numerics;
using Peerz.Chain.Contracts;
using Peerz.Chain.Crypto;

namespace Peerz.Settlement.Contributions;

/// <summary>
/// A receipt accepted for inference or training: deduplicated by its EIP-712 <paramref name="Digest"/> (which names
/// the provider), counted for <paramref name="Epoch"/>, and worth at most <paramref name="Amount"/> PRZ wei, the
/// price the provider signed; how much of it is credited is decided at close against what the client redeemed.
/// </summary>
public sealed record PaidReceipt(byte[] Digest, long Epoch, Address Provider, Address Client, RewardRole Role, BigInteger Amount);
