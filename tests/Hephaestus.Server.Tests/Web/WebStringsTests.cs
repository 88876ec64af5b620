using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace Hephaestus.Server.Tests.Web;

/// <summary>
/// Every literal string the pages show through the localizer (<c>L["…"]</c>) is a key of Web/Strings.resx, so the file is
/// the whole of the English text and a translation of it is complete.
/// </summary>
public sealed partial class WebStringsTests
{
    [Fact]
    public void Every_string_the_pages_use_is_in_the_resource_file()
    {
        var web = Path.Combine(Architecture.HouseTests.Root, "src", "Hephaestus.Server", "Web");
        var keys = XDocument.Load(Path.Combine(web, "Strings.resx")).Root!.Elements("data")
            .Select(d => (string)d.Attribute("name")!).ToHashSet(StringComparer.Ordinal);
        var used = Directory.EnumerateFiles(web, "*.*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".razor", StringComparison.Ordinal) || f.EndsWith(".cs", StringComparison.Ordinal))
            .SelectMany(f => LocalizedLiteral().Matches(File.ReadAllText(f)).Select(m => (File: Path.GetFileName(f), Key: m.Groups[1].Value.Replace("\\\"", "\"", StringComparison.Ordinal))))
            .ToList();

        Assert.NotEmpty(used);
        var missing = used.Where(u => !keys.Contains(u.Key)).Select(u => $"{u.File}: {u.Key}").Distinct().ToList();
        Assert.True(missing.Count == 0, "Strings.resx lacks:\n" + string.Join("\n", missing));
    }

    [GeneratedRegex(@"\bL\[""((?:[^""\\]|\\.)*)""")]
    private static partial Regex LocalizedLiteral();
}
