using Peerz.Chain.Crypto;

namespace Peerz.Chain.Transactions;

/// <summary>A transaction that can be hashed for signing and serialised with its signature.</summary>
public interface IUnsignedTransaction
{
    byte[] SigningHash();

    byte[] EncodeSigned(EthSignature signature);
}
