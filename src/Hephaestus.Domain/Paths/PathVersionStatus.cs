namespace Hephaestus.Domain.Paths;

/// <summary>
/// A draft is edited; publishing freezes it (the database refuses any later change); retiring stops new enrollments.
/// The wire and database names are the lower-case member names.
/// </summary>
public enum PathVersionStatus
{
    Draft,
    Published,
    Retired,
}

public static class PathVersionStatusNames
{
    public static string ToWireName(this PathVersionStatus status) => status switch
    {
        PathVersionStatus.Draft => "draft",
        PathVersionStatus.Published => "published",
        PathVersionStatus.Retired => "retired",
        _ => throw new ArgumentOutOfRangeException(nameof(status)),
    };

    public static PathVersionStatus Parse(string name) => name switch
    {
        "draft" => PathVersionStatus.Draft,
        "published" => PathVersionStatus.Published,
        "retired" => PathVersionStatus.Retired,
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "unknown path version status"),
    };
}
