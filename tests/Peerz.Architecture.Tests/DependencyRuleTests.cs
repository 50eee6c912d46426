namespace Peerz.Architecture.Tests;

/// <summary>Fails when a project file brings back a reference the layering forbids (see <see cref="DependencyRules"/>).</summary>
public sealed class DependencyRuleTests
{
    private readonly ProjectGraph _graph = ProjectGraph.Load(RepositoryRoot.Path);

    [Fact]
    public void Every_project_reference_is_one_the_table_allows()
    {
        var violations = new List<string>();
        foreach (var project in ListedProjects())
        {
            if (!DependencyRules.AllowedReferences.TryGetValue(project.Name, out var allowed))
            {
                violations.Add($"{project.RelativePath} is not in DependencyRules.AllowedReferences; add it with the references it may have");
                continue;
            }
            foreach (var reference in project.ProjectReferences.Except(allowed).Order())
                violations.Add($"{project.Name} references {reference}, which it may not (allowed: {(allowed.Length == 0 ? "none" : string.Join(", ", allowed))})");
        }

        Assert.True(violations.Count == 0, string.Join(Environment.NewLine, violations));
    }

    [Fact]
    public void Processes_that_run_no_model_do_not_link_libtorch()
    {
        var violations = new List<string>();
        foreach (var name in DependencyRules.ModelFree)
        {
            var closure = _graph.Closure(name);
            if (closure.Count == 0) violations.Add($"{name} is listed as model-free but no such project exists");
            foreach (var project in closure)
            {
                if (project.Name == "Peerz.Model" || project.UsesTorch || project.Packages.Any(p => p.StartsWith("TorchSharp", StringComparison.Ordinal)))
                    violations.Add($"{name} must not load libtorch, but depends on {project.Name}, which brings TorchSharp");
            }
        }

        Assert.True(violations.Count == 0, string.Join(Environment.NewLine, violations));
    }

    [Fact]
    public void Contract_projects_carry_no_server_or_store()
    {
        var violations = new List<string>();
        foreach (var name in DependencyRules.Contracts)
        {
            var closure = _graph.Closure(name);
            if (closure.Count == 0) violations.Add($"{name} is listed as a contract project but no such project exists");
            foreach (var project in closure)
            {
                foreach (var dependency in project.Frameworks.Concat(project.Packages).Intersect(DependencyRules.ServerDependencies))
                    violations.Add($"{name} is a contract project, but {project.Name} brings in {dependency}");
            }
        }

        Assert.True(violations.Count == 0, string.Join(Environment.NewLine, violations));
    }

    private IEnumerable<ProjectFile> ListedProjects() =>
        _graph.Projects.Values.Where(p => !DependencyRules.UnlistedFolders.Contains(p.RelativePath.Split(Path.DirectorySeparatorChar)[0]));
}
