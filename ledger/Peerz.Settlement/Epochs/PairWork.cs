using System.Numerics;
using Peerz.Chain.Contracts;
using Peerz.Chain.Crypto;

namespace Peerz.Settlement.Epochs;

/// <summary>The sum of one epoch's receipt amounts from one provider to one client in one role (what the receipts claim was paid).</summary>
public sealed record PairWork(Address Provider, Address Client, RewardRole Role, BigInteger Amount);
