namespace Peerz.Architecture.Tests;

/// <summary>Keeps <c>scripts/test.sh --fast</c> honest: a test that starts another program cannot slip into it untagged.</summary>
public sealed class FastSubsetTests
{
    private static readonly IReadOnlySet<string> Excluded = FastSubset.ExcludedCategories(File.ReadAllText(Path.Combine(RepositoryRoot.Path, "scripts", "test.sh")));

    [Fact]
    public void Every_test_class_that_starts_a_process_carries_a_category_the_fast_subset_leaves_out()
    {
        var violations = FastSubset.Violations(TestSources.Load(Path.Combine(RepositoryRoot.Path, "tests")), Excluded);

        Assert.True(violations.Count == 0, string.Join(Environment.NewLine, violations));
    }

    [Fact]
    public void The_fast_subset_leaves_out_the_slow_tests_and_every_out_of_process_category()
    {
        Assert.Superset(new HashSet<string> { "Slow", "Chain", "JavaScript", "Browser", "Postgres", "Nat", "Process" }, Excluded.ToHashSet());
    }

    [Fact]
    public void A_test_reaching_Hardhat_through_a_fixture_is_flagged_until_it_carries_the_category()
    {
        const string Node = "namespace Peerz.Testing.Chain; public sealed class HardhatNode { void Start() => System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(\"node\")); }";
        const string Fixture = "namespace Peerz.X.Tests; public sealed class Devnet { public HardhatNode Node { get; } = new(); }";
        const string Pure = "namespace Peerz.X.Tests; public sealed class PureTests { [Fact] public void Adds() => Assert.Equal(2, 1 + 1); }";
        // Same type name in another project: not this project's helper, so no dependency through it.
        const string Elsewhere = "namespace Peerz.Y.Tests; public sealed class Devnet { void Run() => System.Diagnostics.Process.Start(\"ls\"); }";
        string Live(string classAttribute, string methodAttribute) =>
            $"namespace Peerz.X.Tests;\n{classAttribute}\npublic sealed class LiveTests(Devnet devnet) : IClassFixture<Devnet> {{ {methodAttribute} [Fact] public void Mines() {{ }} }}";
        TestSources Sources(string classAttribute, string methodAttribute = "") => new([
            .. SourceType.Parse("Peerz.Testing/Chain/HardhatNode.cs", Node),
            .. SourceType.Parse("Peerz.X.Tests/Support/Devnet.cs", Fixture),
            .. SourceType.Parse("Peerz.X.Tests/PureTests.cs", Pure),
            .. SourceType.Parse("Peerz.X.Tests/LiveTests.cs", Live(classAttribute, methodAttribute)),
            .. SourceType.Parse("Peerz.Y.Tests/Devnet.cs", Elsewhere),
        ]);

        var violation = Assert.Single(FastSubset.Violations(Sources(""), Excluded));
        Assert.StartsWith("LiveTests (tests/Peerz.X.Tests/LiveTests.cs) starts a process (through HardhatNode)", violation, StringComparison.Ordinal);
        Assert.Contains("[Trait(\"Category\", \"Chain\")]", violation, StringComparison.Ordinal);
        Assert.Empty(FastSubset.Violations(Sources("[Trait(\"Category\", \"Chain\")]"), Excluded));
        // A category on one method is not enough (the class's other tests would still run under --fast), nor one in a comment.
        Assert.Single(FastSubset.Violations(Sources("", "[Trait(\"Category\", \"Chain\")]"), Excluded));
        Assert.Single(FastSubset.Violations(Sources("// [Trait(\"Category\", \"Chain\")]"), Excluded));
        Assert.Single(FastSubset.Violations(Sources("[Trait(\"Category\", \"Unheard\")]"), Excluded));
    }

    [Fact]
    public void A_class_inheriting_tests_from_a_base_class_is_checked_too()
    {
        const string Server = "namespace Peerz.Testing.Storage; public sealed class PostgresServer { void Start() => System.Diagnostics.Process.Start(\"initdb\"); }";
        const string Suite = "namespace Peerz.X.Tests; public abstract class StoreTests { [Fact] public void Stores() { } }";
        const string OnPostgres = "namespace Peerz.X.Tests; public sealed class PostgresStoreTests(PostgresServer server) : StoreTests, IClassFixture<PostgresServer> { }";
        const string OnSqlite = "namespace Peerz.X.Tests; public sealed class SqliteStoreTests : StoreTests { }";
        var sources = new TestSources([
            .. SourceType.Parse("Peerz.Testing/Storage/PostgresServer.cs", Server),
            .. SourceType.Parse("Peerz.X.Tests/StoreTests.cs", Suite),
            .. SourceType.Parse("Peerz.X.Tests/PostgresStoreTests.cs", OnPostgres),
            .. SourceType.Parse("Peerz.X.Tests/SqliteStoreTests.cs", OnSqlite),
        ]);

        var violation = Assert.Single(FastSubset.Violations(sources, Excluded));
        Assert.StartsWith("PostgresStoreTests (tests/Peerz.X.Tests/PostgresStoreTests.cs)", violation, StringComparison.Ordinal);
        Assert.Contains("\"Postgres\"", violation, StringComparison.Ordinal);

        // xUnit inherits class-level traits, so a category on the base class covers the derived ones.
        var tagged = new TestSources([
            .. SourceType.Parse("Peerz.Testing/Storage/PostgresServer.cs", Server),
            .. SourceType.Parse("Peerz.X.Tests/StoreTests.cs", Suite.Replace("public abstract", "[Trait(\"Category\", \"Postgres\")]\npublic abstract", StringComparison.Ordinal)),
            .. SourceType.Parse("Peerz.X.Tests/PostgresStoreTests.cs", OnPostgres),
        ]);
        Assert.Empty(FastSubset.Violations(tagged, Excluded));
    }
}
