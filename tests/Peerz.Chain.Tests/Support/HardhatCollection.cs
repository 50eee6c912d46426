using Peerz.Testing.Chain;

namespace Peerz.Chain.Tests.Support;

[CollectionDefinition(Name)]
public sealed class HardhatCollection : ICollectionFixture<HardhatNode>
{
    public const string Name = "Hardhat node";
}
