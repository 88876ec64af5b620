namespace Hephaestus.Domain.Paths;

/// <summary>
/// Where a learner's enrollment stands: active while a step is open, completed when every step is done (an un-skip or an
/// insert reopens it), withdrawn when the learner left. The wire and database names are the lower-case member names
/// (<c>enrollments.status</c> CHECK).
/// </summary>
public enum EnrollmentStatus
{
    Active,
    Completed,
    Withdrawn,
}

/// <summary>
/// What an educator changed for one learner, or the move to a new version (<c>enrollment_overrides.kind</c> CHECK). The wire
/// and database names are the lower-case member names.
/// </summary>
public enum OverrideKind
{
    Skip,
    Unskip,
    Insert,
    Goal,
    Pace,
    Migrate,
}

public static class EnrollmentNames
{
    /// <summary>The overrides an educator asks for; <see cref="OverrideKind.Migrate"/> is written only by a migration.</summary>
    public static readonly IReadOnlyList<OverrideKind> Requestable = [OverrideKind.Skip, OverrideKind.Unskip, OverrideKind.Insert, OverrideKind.Goal, OverrideKind.Pace];

    public static string ToWireName(this EnrollmentStatus status) => status switch
    {
        EnrollmentStatus.Active => "active",
        EnrollmentStatus.Completed => "completed",
        EnrollmentStatus.Withdrawn => "withdrawn",
        _ => throw new ArgumentOutOfRangeException(nameof(status)),
    };

    public static EnrollmentStatus ParseStatus(string name) => name switch
    {
        "active" => EnrollmentStatus.Active,
        "completed" => EnrollmentStatus.Completed,
        "withdrawn" => EnrollmentStatus.Withdrawn,
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "unknown enrollment status"),
    };

    public static string ToWireName(this OverrideKind kind) => kind switch
    {
        OverrideKind.Skip => "skip",
        OverrideKind.Unskip => "unskip",
        OverrideKind.Insert => "insert",
        OverrideKind.Goal => "goal",
        OverrideKind.Pace => "pace",
        OverrideKind.Migrate => "migrate",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    public static OverrideKind ParseOverrideKind(string name) =>
        TryParseOverrideKind(name, out var kind) ? kind : throw new ArgumentOutOfRangeException(nameof(name), name, "unknown override kind");

    public static bool TryParseOverrideKind(string? name, out OverrideKind kind)
    {
        (var known, kind) = name switch
        {
            "skip" => (true, OverrideKind.Skip),
            "unskip" => (true, OverrideKind.Unskip),
            "insert" => (true, OverrideKind.Insert),
            "goal" => (true, OverrideKind.Goal),
            "pace" => (true, OverrideKind.Pace),
            "migrate" => (true, OverrideKind.Migrate),
            _ => (false, default),
        };
        return known;
    }
}
