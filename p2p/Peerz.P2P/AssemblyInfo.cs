using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("Peerz.P2P.Tests")]
[assembly: InternalsVisibleTo("Peerz.Bench")]
