namespace Peerz.P2P;
