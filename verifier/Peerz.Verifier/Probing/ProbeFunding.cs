using System.Numerics;

namespace Peerz.Verifier.Probing;

/// <summary>
/// What each probe key receives from the verifier's wallet: <paramref name="Prz"/> wei of PRZ (deposited in the escrow;
/// the client code reserves lanes from it per provider, <paramref name="LaneTopUp"/> at a time) and <paramref name="Gas"/>
/// wei of ether for its own transactions; a key is used for <paramref name="ProbesPerKey"/> probes, then replaced.
/// </summary>
public sealed record ProbeFunding(BigInteger Prz, BigInteger LaneTopUp, BigInteger Gas, int ProbesPerKey)
{
    public static readonly ProbeFunding Default = new(BigInteger.Pow(10, 18), BigInteger.Pow(10, 17), BigInteger.Pow(10, 16), 20);
}
