using System.Text.RegularExpressions;

namespace Hephaestus.Domain;

/// <summary>The shape of a catalog code (frameworks, skills, paths, items): what an author types and a URL can carry.</summary>
public static partial class CatalogCode
{
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    public static partial Regex Shape();
}
