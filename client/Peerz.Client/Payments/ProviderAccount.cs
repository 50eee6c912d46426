using System.Numerics;
using Peerz.Chain.Crypto;

namespace Peerz.Client.Payments;

/// <summary>A provider as registered on chain: the account vouchers pay, the key that signs its receipts, its price.</summary>
public sealed record ProviderAccount(Address Account, Address Signer, BigInteger PricePerToken);
