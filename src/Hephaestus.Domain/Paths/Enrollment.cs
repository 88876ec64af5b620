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

    /// <summary>Opens a locked step whatever its conditions say; it stays open (see <c>LearnerSnapshot.IsUnlocked</c>).</summary>
    Unlock,

    /// <summary>The learner leaves the path: the enrollment is withdrawn, its progress frozen, `next` empty.</summary>
    Withdraw,
}

public static class EnrollmentNames
{
    /// <summary>The overrides an educator asks for; <see cref="OverrideKind.Migrate"/> is written only by a migration.</summary>
    public static readonly IReadOnlyList<OverrideKind> Requestable = [OverrideKind.Skip, OverrideKind.Unskip, OverrideKind.Insert, OverrideKind.Goal, OverrideKind.Pace, OverrideKind.Unlock, OverrideKind.Withdraw];

    public static string ToWireName(this EnrollmentStatus status) => WireNames<EnrollmentStatus>.Of(status);

    public static EnrollmentStatus ParseStatus(string name) => WireNames<EnrollmentStatus>.Parse(name);

    public static bool TryParseStatus(string? name, out EnrollmentStatus status) => WireNames<EnrollmentStatus>.TryParse(name, out status);

    public static string ToWireName(this OverrideKind kind) => WireNames<OverrideKind>.Of(kind);

    public static OverrideKind ParseOverrideKind(string name) => WireNames<OverrideKind>.Parse(name);

    public static bool TryParseOverrideKind(string? name, out OverrideKind kind) => WireNames<OverrideKind>.TryParse(name, out kind);
}
