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

/// <summary>An enrollment with its path's title (so a list of them needs no call per path) and every step's state.</summary>
public sealed record EnrollmentResponse(
    Guid Id,
    Guid LearnerId,
    Guid PathId,
    string PathTitle,
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

/// <summary>
/// What the ranking made of the enrollment's goal, pace and target date: the steps on the way to the goal (none when the
/// goal names no step key or skill code of the path), and whether the remaining work fits the time the pace gives.
/// </summary>
public sealed record RankingBasisResponse(string? Goal, bool GoalRecognized, IReadOnlyList<string> GoalSteps, bool BehindSchedule, int? RemainingMinutes,
    int? AvailableMinutes, int? PaceMinutesPerWeek, DateOnly? TargetDate);

/// <summary>
/// A learner's own change of what they aim at (PATCH with If-Match). Absent fields stay as they are; <c>clear</c> lists
/// fields to empty (goal, paceMinutesPerWeek, targetDate). The goal is a step key or a skill code of the path to rank
/// `next` toward (any other text is kept but changes no ranking).
/// </summary>
public sealed record UpdateEnrollmentRequest(string? Goal = null, int? PaceMinutesPerWeek = null, DateOnly? TargetDate = null, string[]? Clear = null);

public sealed record LockedStepResponse(string Key, string Kind, string Title, IReadOnlyList<string> Conditions);

/// <summary>The next steps; a withdrawn enrollment has none (<c>status</c> says so).</summary>
public sealed record NextResponse(Guid EnrollmentId, EnrollmentStatus Status, int Done, int Total, IReadOnlyList<NextStepResponse> Available,
    IReadOnlyList<LockedStepResponse> Locked, int LockedTotal, RankingBasisResponse Basis);

/// <summary>A remediation (or any) step an educator inserts for one learner, placed after <c>afterStep</c> (first when absent).</summary>
public sealed record InsertStepRequest(string Key, string Kind, Guid RefId, string Title, string? AfterStep = null, Guid[]? TargetSkillIds = null);

/// <summary>
/// An educator's override. <c>kind</c>: skip, unskip, unlock (each with <c>stepKey</c>), insert (with <c>step</c>), goal
/// (with <c>goal</c> and/or <c>targetDate</c>), pace (with <c>paceMinutesPerWeek</c>), withdraw (the learner leaves the
/// path: progress frozen, `next` empty). <c>reason</c> is always required: it is audited.
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

/// <summary>A page of a cohort's learners on a path, learner × step: the steps (the same on every page), then one row per learner.</summary>
public sealed record CohortStepStatusesResponse(Guid CohortId, Guid PathId, string PathCode, string PathTitle, IReadOnlyList<StepColumn> Steps,
    IReadOnlyList<LearnerStepsRow> Items, string? Next);
