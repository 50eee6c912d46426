namespace Peerz.Chain;
