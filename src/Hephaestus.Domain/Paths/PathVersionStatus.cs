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
    public static string ToWireName(this PathVersionStatus status) => WireNames<PathVersionStatus>.Of(status);

    public static PathVersionStatus Parse(string name) => WireNames<PathVersionStatus>.Parse(name);
}
