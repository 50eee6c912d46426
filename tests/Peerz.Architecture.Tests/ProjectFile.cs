using System.Xml.Linq;

namespace Peerz.Architecture.Tests;

/// <summary>
/// What one .csproj declares about its dependencies: the projects it references (by name), its NuGet packages and
/// shared frameworks. <see cref="UsesTorch"/> is PeerzUsesTorch, through which Directory.Build.targets adds TorchSharp.
/// </summary>
public sealed record ProjectFile(string Name, string RelativePath, IReadOnlySet<string> ProjectReferences, IReadOnlySet<string> Packages, IReadOnlySet<string> Frameworks, bool UsesTorch)
{
    public static ProjectFile Read(string root, string path)
    {
        var document = XDocument.Load(path);
        IReadOnlySet<string> Includes(string item, Func<string, string> name) =>
            document.Descendants(item).Select(e => (string?)e.Attribute("Include")).OfType<string>().Select(name).ToHashSet();
        return new ProjectFile(
            Path.GetFileNameWithoutExtension(path),
            Path.GetRelativePath(root, path),
            Includes("ProjectReference", include => Path.GetFileNameWithoutExtension(include.Replace('\\', '/'))),
            Includes("PackageReference", include => include),
            Includes("FrameworkReference", include => include),
            document.Descendants("PeerzUsesTorch").Any(e => e.Value.Trim() == "true"));
    }
}
