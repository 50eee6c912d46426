using System.Numerics;
using Peerz.Chain.Crypto;

namespace Peerz.Ledger.Payments;

/// <summary>A redemption mined on chain: <paramref name="Paid"/> wei moved from the client's escrow to the provider.</summary>
public sealed record Redemption(Address Client, BigInteger Paid, BigInteger Cumulative, string TransactionHash);
