using System.Numerics;
using Peerz.Chain.Crypto;

namespace Peerz.Settlement.Epochs;

/// <summary>
/// What one epoch credited to a (provider, client) pair: <paramref name="Claimed"/> is the sum of its receipts,
/// <paramref name="Credited"/> the part backed by PaymentEscrow.redeemed(client, provider) that earlier epochs had not
/// used, and <paramref name="FeeCredited"/> the protocol fee those credited PRZ paid (the base of the pair's reward cap).
/// Stored with the epoch, so later epochs subtract both from the same cumulative redemption and fee.
/// </summary>
public sealed record PairCredit(Address Provider, Address Client, BigInteger Claimed, BigInteger Credited, BigInteger FeeCredited);
