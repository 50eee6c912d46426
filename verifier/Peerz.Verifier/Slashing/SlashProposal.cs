using Peerz.Chain.Contracts;
using Peerz.Chain.Crypto;

namespace Peerz.Verifier.Slashing;

/// <summary>
/// A slash as proposed on chain: the provider-signed receipt it cites (by digest), the fault, the recomputed output
/// hash (zero for Unavailable), and the canonical evidence record whose keccak256 is the on-chain evidence hash.
/// </summary>
public sealed record SlashProposal(Address Provider, byte[] EvidenceDigest, SlashFault Fault, byte[] RecomputedOutputHash, string Evidence)
{
    public byte[] EvidenceHash => Keccak.Hash(Evidence);
}
