using System.Text.Json;
using Hephaestus.Data.Learning;
using Hephaestus.Domain.Paths;

namespace Hephaestus.Server.Features.Enrollments;

public sealed record EnrollRequest(Guid PathId);

public sealed record EnrollmentStepResponse(
    string Key,
    string Kind,
    Guid RefId,
    string Title,
    double Position,
    Guid[] TargetSkillIds,
    string Status,
    string? Reason,
    double? Score,
    bool InsertedByEducator,
    DateTimeOffset UpdatedAt);

public sealed record EnrollmentResponse(
    Guid Id,
    Guid LearnerId,
    Guid PathId,
    Guid PathVersionId,
    int Version,
    EnrollmentStatus Status,
    string? Goal,
    int? PaceMinutesPerWeek,
    DateOnly? TargetDate,
    DateTimeOffset EnrolledAt,
    DateTimeOffset? CompletedAt,
    int Done,
    int Total,
    IReadOnlyList<EnrollmentStepResponse> Steps);

public sealed record NextStepResponse(string Key, string Kind, Guid RefId, string Title, string Status, IReadOnlyList<string> Reasons);

public sealed record LockedStepResponse(string Key, string Kind, string Title, IReadOnlyList<string> Conditions);

public sealed record NextResponse(Guid EnrollmentId, int Done, int Total, IReadOnlyList<NextStepResponse> Available, IReadOnlyList<LockedStepResponse> Locked, int LockedTotal);

/// <summary>A remediation (or any) step an educator inserts for one learner, placed after <c>afterStep</c> (first when absent).</summary>
public sealed record InsertStepRequest(string Key, string Kind, Guid RefId, string Title, string? AfterStep = null, Guid[]? TargetSkillIds = null);

/// <summary>
/// An educator's override. <c>kind</c>: skip, unskip (with <c>stepKey</c>), insert (with <c>step</c>), goal (with
/// <c>goal</c> and/or <c>targetDate</c>), pace (with <c>paceMinutesPerWeek</c>). <c>reason</c> is always required: it is audited.
/// </summary>
public sealed record OverrideRequest(
    string Kind,
    string Reason,
    string? StepKey = null,
    InsertStepRequest? Step = null,
    string? Goal = null,
    DateOnly? TargetDate = null,
    int? PaceMinutesPerWeek = null);

/// <summary>An audit entry; <c>actorId</c> is null for the operator at the command line, or when <c>actorErased</c>: the user who acted was erased.</summary>
public sealed record OverrideResponse(Guid Id, OverrideKind Kind, string? StepKey, JsonElement Payload, string Reason, Guid? ActorId, bool ActorErased,
    DateTimeOffset CreatedAt)
{
    public static OverrideResponse From(OverrideEntry o)
    {
        ArgumentNullException.ThrowIfNull(o);
        return new OverrideResponse(o.Id, o.Kind, o.StepKey, o.Payload, o.Reason, o.ActorId, o.ActorErased, o.CreatedAt);
    }
}

public sealed record MigrateEnrollmentsRequest(int? Limit = null);

public sealed record MigrationResponse(Guid PathId, Guid ToVersionId, int ToVersion, IReadOnlyList<MigratedEnrollment> Migrated, int Remaining);

public sealed record CohortProgressResponse(Guid CohortId, Guid PathId, int Learners, int Enrolled, IReadOnlyList<LearnerProgressRow> LearnerProgress,
    IReadOnlyList<StepProgressRow> Steps);
