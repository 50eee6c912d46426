using Peerz.Testing.Storage;

namespace Peerz.Settlement.Tests.Storage;

/// <summary>Test classes in this collection share one <see cref="PostgresServer"/> per test run (each test makes its own database).</summary>
[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresServer>
{
    public const string Name = "PostgreSQL";
}
