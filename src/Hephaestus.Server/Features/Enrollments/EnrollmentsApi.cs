using Hephaestus.Data;
using Hephaestus.Data.Learning;
using Hephaestus.Domain.Paths;
using Hephaestus.Server.Api;
using Hephaestus.Server.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Hephaestus.Server.Features.Enrollments;

/// <summary>
/// A learner's enrollments in learning paths and their progress: enroll (once per path, with placement), read, the next
/// best steps (ranked toward the learner's goal and pace), the learner's own goal, pace and target date, start and complete
/// steps, educators' overrides (audited), and a path's enrollments for educators. Row-level security decides who sees
/// what: the learner, educators of the learner's cohorts, admins; an enrollment someone may not see is a 404.
/// </summary>
public static class EnrollmentsApi
{
    public static IEndpointRouteBuilder MapEnrollments(this IEndpointRouteBuilder routes)
    {
        var learner = routes.MapGroup("/api/v1/learners/{learnerId:guid}/enrollments").WithTags("Enrollments").RequireAuthorization(Policies.Provisioned);
        learner.MapPost("/", Enroll).WithName("Enroll").LimitRowWrites()
            .WithSummary("Enroll a learner in a path")
            .WithDescription("Enrolls in the newest published version, placing the learner past the steps whose skills they already master. Enrolling again returns the existing enrollment (200). The learner, an educator of their cohort or an admin. 422 for an unknown path.")
            .ProducesProblems(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict, StatusCodes.Status422UnprocessableEntity);
        learner.MapGet("/", List).WithName("ListEnrollments")
            .WithSummary("List a learner's enrollments")
            .WithDescription("The learner's enrollments with step progress. The learner, their educators, admins (otherwise 404).")
            .ProducesProblems(StatusCodes.Status404NotFound);
        learner.MapGet("/{enrollmentId:guid}", Get).WithName("GetEnrollment")
            .WithSummary("Read an enrollment")
            .WithDescription("An enrollment with each step's status, goal, pace and target date. The ETag header is the version for If-Match.")
            .ProducesProblems(StatusCodes.Status404NotFound)
            .ReturnsETag();
        learner.MapPatch("/{enrollmentId:guid}", Update).WithName("UpdateEnrollment")
            .WithSummary("Set an enrollment's goal, pace or target date")
            .WithDescription("The learner sets their own goal (a step key or skill code), pace (minutes per week) and target date; they change the ranking of `next`. Requires If-Match (428 without, 412 when stale). An educator uses an override instead.")
            .ProducesProblems(StatusCodes.Status404NotFound)
            .TakesIfMatch(required: true);
        learner.MapGet("/{enrollmentId:guid}/next", Next).WithName("NextSteps")
            .WithSummary("What to do next")
            .WithDescription("The available steps ranked (educator inserts, remediation, the goal's route, schedule, weakest skill, started, path order) with reasons, the locked ones with their conditions, and the basis of the ranking.")
            .ProducesProblems(StatusCodes.Status404NotFound);
        learner.MapPost("/{enrollmentId:guid}/steps/{stepKey}/start", Start).WithName("StartStep").LimitRowWrites()
            .WithSummary("Start a step")
            .WithDescription("Marks an available step started. The learner or their educator.")
            .ProducesProblems(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict);
        learner.MapPost("/{enrollmentId:guid}/steps/{stepKey}/complete", Complete).WithName("CompleteStep").LimitRowWrites()
            .WithSummary("Complete a content step")
            .WithDescription("Completes a content step; skill steps complete by mastery and assessment steps by a submitted attempt (409). Dependents unlock in the same transaction.")
            .ProducesProblems(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict);
        learner.MapPost("/{enrollmentId:guid}/overrides", Override).WithName("OverrideEnrollment").RequireAuthorization(Policies.EducatorOrAdmin).LimitRowWrites()
            .WithSummary("Override an enrollment")
            .WithDescription("An audited educator action with a reason: skip, unskip, insert, unlock a step, withdraw, set goal or pace. Educators of the learner's cohort and admins. 422 for an unknown step.")
            .ProducesProblems(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict, StatusCodes.Status422UnprocessableEntity);
        learner.MapGet("/{enrollmentId:guid}/overrides", Overrides).WithName("ListEnrollmentOverrides")
            .WithSummary("List an enrollment's overrides")
            .WithDescription("The audit trail of overrides, newest first, with who made them (null when since erased).")
            .ProducesProblems(StatusCodes.Status404NotFound);
        routes.MapGet("/api/v1/paths/{pathId:guid}/enrollments", ListForPath).WithTags("Enrollments").WithName("ListPathEnrollments")
            .RequireAuthorization(Policies.EducatorOrAdmin)
            .WithSummary("List a path's enrollments")
            .WithDescription("The enrollments in a path that the caller may see, keyset paged. Educators (their cohorts' learners) and admins.")
            .ProducesProblems(StatusCodes.Status404NotFound);
        return routes;
    }

    /// <summary>
    /// Enrolls in the newest published version. Enrolling again returns the existing enrollment (200), whatever its
    /// version: moving to a newer one is a migration. Placement skips the steps whose skills the learner already masters.
    /// </summary>
    static async Task<Results<Created<EnrollmentResponse>, Ok<EnrollmentResponse>, ProblemHttpResult>> Enroll(
        Guid learnerId, EnrollRequest request, HttpContext http, NpgsqlDataSource db, LearnerRecord learning, CancellationToken ct)
    {
        var enrolled = await learning.EnrollAsync(db, http.RequireActor(), learnerId, request.PathId, ct);
        return enrolled.Outcome switch
        {
            EnrollmentOutcome.Created => TypedResults.Created($"/api/v1/learners/{learnerId}/enrollments/{enrolled.State!.Enrollment.Id}", EnrollmentViews.ToResponse(enrolled.State)),
            EnrollmentOutcome.Done => TypedResults.Ok(EnrollmentViews.ToResponse(enrolled.State!)),
            EnrollmentOutcome.LearnerNotFound => Problems.NotFound("learner", learnerId),
            EnrollmentOutcome.Refused => Problems.Forbidden("Only the learner, an educator of the learner's cohort or an admin enrolls a learner."),
            EnrollmentOutcome.UnknownPath => TypedResults.Problem(statusCode: StatusCodes.Status422UnprocessableEntity, title: "Unknown learning path",
                detail: $"No learning path with id {request.PathId} exists.", extensions: new Dictionary<string, object?> { ["field"] = "pathId" }),
            _ => Problems.Conflict(enrolled.Detail!),
        };
    }

    static async Task<Results<Ok<IReadOnlyList<EnrollmentResponse>>, ProblemHttpResult>> List(Guid learnerId, HttpContext http, NpgsqlDataSource db, LearnerRecord learning, CancellationToken ct)
    {
        var enrollments = await learning.ListEnrollmentsAsync(db, http.RequireActor(), learnerId, ct);
        return enrollments is null
            ? Problems.NotFound("learner", learnerId)
            : TypedResults.Ok<IReadOnlyList<EnrollmentResponse>>(enrollments.Select(EnrollmentViews.ToResponse).ToList());
    }

    static async Task<Results<Ok<EnrollmentResponse>, ProblemHttpResult>> Get(Guid learnerId, Guid enrollmentId, HttpContext http, NpgsqlDataSource db, LearnerRecord learning, CancellationToken ct)
    {
        var state = await learning.ReadEnrollmentOnceAsync(db, http.RequireActor(), learnerId, enrollmentId, withNotes: true, ct);
        if (state is null) return Problems.NotFound("enrollment", enrollmentId);
        http.Response.Headers.ETag = ETags.Format(state.Enrollment.Version);
        return TypedResults.Ok(EnrollmentViews.ToResponse(state));
    }

    /// <summary>
    /// The learner sets their own goal, pace and target date (If-Match with the enrollment's ETag); `next` ranks by them.
    /// Someone else who sees the enrollment is refused (an educator's change is an audited override); anyone else gets 404.
    /// </summary>
    static async Task<Results<Ok<EnrollmentResponse>, ValidationProblem, ProblemHttpResult>> Update(
        Guid learnerId, Guid enrollmentId, UpdateEnrollmentRequest request, HttpContext http, NpgsqlDataSource db, LearnerRecord learning, CancellationToken ct)
    {
        var v = new Validation().Text("goal", request.Goal, 1, 500, required: false);
        if (request.PaceMinutesPerWeek is { } pace && pace is < 1 or > 10080) v.Add("paceMinutesPerWeek", "must be between 1 and 10080 (a week of minutes)");
        var clear = request.Clear ?? [];
        for (var i = 0; i < clear.Length; i++)
        {
            if (!GoalChanges.Clearable.Contains(clear[i])) v.Add($"clear[{i}]", "must be one of: " + string.Join(", ", GoalChanges.Clearable));
            else if (clear[i] switch { "goal" => request.Goal is not null, "paceMinutesPerWeek" => request.PaceMinutesPerWeek is not null, _ => request.TargetDate is not null })
            {
                v.Add($"clear[{i}]", $"{clear[i]} is also given a value: set it or clear it, not both");
            }
        }

        if (request.Goal is null && request.PaceMinutesPerWeek is null && request.TargetDate is null && clear.Length == 0)
        {
            v.Add("", "give goal, paceMinutesPerWeek, targetDate or clear");
        }

        if (!v.IsValid) return v.ToProblem();
        var changes = new GoalChanges(request.Goal, request.PaceMinutesPerWeek, request.TargetDate, clear);
        var changed = await learning.UpdateGoalsAsync(db, http.RequireActor(), learnerId, enrollmentId, changes, ETags.Parse(http.Request), ct);
        switch (changed.Outcome)
        {
            case EnrollmentOutcome.Done:
                http.Response.Headers.ETag = ETags.Format(changed.State!.Enrollment.Version);
                return TypedResults.Ok(EnrollmentViews.ToResponse(changed.State));
            case EnrollmentOutcome.Refused:
                return Problems.Forbidden("Only the learner sets their own goal, pace and target date; an educator changes them with an override (kind goal or pace), which is audited.");
            case EnrollmentOutcome.PreconditionRequired:
                return Problems.PreconditionRequired("enrollment");
            case EnrollmentOutcome.PreconditionFailed:
                return Problems.PreconditionFailed("enrollment", ETags.Format(changed.CurrentVersion!.Value));
            default:
                return Problems.NotFound("enrollment", enrollmentId);
        }
    }

    /// <summary>
    /// A path's enrollments, keyset-paged in enrollment order, optionally by status and cohort. Educators and admins; row-level
    /// security limits an educator to the learners of their cohorts.
    /// </summary>
    static async Task<Results<Ok<Page<PathEnrollmentRow>>, ValidationProblem, ProblemHttpResult>> ListForPath(
        Guid pathId, HttpContext http, NpgsqlDataSource db, CancellationToken ct, Guid? after = null, int? limit = null, string? status = null, Guid? cohort = null)
    {
        var v = new Validation();
        var size = v.PageSize(limit);
        EnrollmentStatus? wanted = null;
        if (status is not null)
        {
            if (EnrollmentNames.TryParseStatus(status, out var parsed)) wanted = parsed;
            else v.Add("status", "must be one of: " + string.Join(", ", Enum.GetValues<EnrollmentStatus>().Select(s => s.ToWireName())));
        }

        if (!v.IsValid) return v.ToProblem();
        var page = await PathEnrollments.ListAsync(db, http.RequireActor(), pathId, new PathEnrollmentFilter(after, wanted, cohort), size, ct);
        return page is null ? Problems.NotFound("learning path", pathId) : TypedResults.Ok(page);
    }

    /// <summary>
    /// The available (and started) steps, best first, each with the reasons for its place; then the locked steps with
    /// the conditions that hold them. One round trip to the database; ranking is done in memory on the cached plan.
    /// </summary>
    static async Task<Results<Ok<NextResponse>, ValidationProblem, ProblemHttpResult>> Next(Guid learnerId, Guid enrollmentId, HttpContext http, NpgsqlDataSource db, LearnerRecord learning, CancellationToken ct,
        int? limit = null, int? lockedLimit = null)
    {
        var v = new Validation();
        var size = v.PageSize(limit, defaultSize: 10);
        if (lockedLimit is < 0 or > 200) v.Add("/lockedLimit", "must be between 0 and 200");
        if (!v.IsValid) return v.ToProblem();

        var state = await learning.ReadEnrollmentOnceAsync(db, http.RequireActor(), learnerId, enrollmentId, withNotes: false, ct);
        if (state is null) return Problems.NotFound("enrollment", enrollmentId);
        // Dates are UTC days: a target date is reached at the end of that day in UTC.
        var e = state.Enrollment;
        var next = StepProgress.Rank(state.Plan, state.Learner, lockedLimit ?? 20, e.Goals(DateOnly.FromDateTime(DateTime.UtcNow)));
        var b = next.Basis;
        var basis = new RankingBasisResponse(e.Goal, b.GoalRecognized, b.GoalRoute, b.BehindSchedule, b.RemainingMinutes, b.AvailableMinutes, e.PaceMinutesPerWeek, e.TargetDate);
        // A withdrawn learner has no next step: the lists are empty, the counts stay as they were left.
        var open = e.Status != EnrollmentStatus.Withdrawn;
        return TypedResults.Ok(new NextResponse(enrollmentId, e.Status, next.Done, next.Total,
            open ? [.. next.Available.Take(size).Select(s => new NextStepResponse(s.Step.Key, s.Step.Kind.ToWireName(), s.Step.RefId, s.Step.Title, s.Status.ToWireName(), s.Reasons))] : [],
            open ? [.. next.Locked.Select(s => new LockedStepResponse(s.Step.Key, s.Step.Kind.ToWireName(), s.Step.Title, s.Conditions))] : [],
            open ? next.LockedTotal : 0, basis));
    }

    /// <summary>The learner (or an educator) starts an available step.</summary>
    static async Task<Results<Ok<EnrollmentResponse>, ProblemHttpResult>> Start(Guid learnerId, Guid enrollmentId, string stepKey, HttpContext http, NpgsqlDataSource db, LearnerRecord learning, CancellationToken ct) =>
        StepAnswer(await learning.StartStepAsync(db, http.RequireActor(), learnerId, enrollmentId, stepKey, ct), enrollmentId, stepKey);

    /// <summary>
    /// Completes a content step the learner has worked through. Skill steps complete by mastery and assessment steps by a
    /// submitted attempt, so those are refused here. Dependents unlock in the same transaction.
    /// </summary>
    static async Task<Results<Ok<EnrollmentResponse>, ProblemHttpResult>> Complete(Guid learnerId, Guid enrollmentId, string stepKey, HttpContext http, NpgsqlDataSource db, LearnerRecord learning, CancellationToken ct) =>
        StepAnswer(await learning.CompleteStepAsync(db, http.RequireActor(), learnerId, enrollmentId, stepKey, ct), enrollmentId, stepKey);

    static Results<Ok<EnrollmentResponse>, ProblemHttpResult> StepAnswer(EnrollmentChange change, Guid enrollmentId, string stepKey) => change.Outcome switch
    {
        EnrollmentOutcome.Done => TypedResults.Ok(EnrollmentViews.ToResponse(change.State!)),
        EnrollmentOutcome.NotFound => Problems.NotFound("enrollment", enrollmentId),
        EnrollmentOutcome.StepNotFound => Problems.NotFound($"step '{stepKey}' in enrollment", enrollmentId),
        _ => Conflict(change),
    };

    /// <summary>A refused change; when it concerned a step, the step's status travels as <c>stepStatus</c>.</summary>
    static ProblemHttpResult Conflict(EnrollmentChange change) => Problems.Conflict(change.Detail!,
        change.StepStatus is { } status ? new Dictionary<string, object?> { ["stepStatus"] = status.ToWireName() } : null);

    /// <summary>An educator's override, audited; who may is the route's policy, which learners row-level security's (404 otherwise).</summary>
    static async Task<Results<Ok<EnrollmentResponse>, ValidationProblem, ProblemHttpResult>> Override(
        Guid learnerId, Guid enrollmentId, OverrideRequest request, HttpContext http, NpgsqlDataSource db, LearnerRecord learning, CancellationToken ct)
    {
        var v = EnrollmentOverrides.Shape(request, out var change);
        if (!v.IsValid) return v.ToProblem();

        var applied = await learning.OverrideAsync(db, http.RequireActor(), learnerId, enrollmentId, change!, ct);
        return applied.Outcome switch
        {
            EnrollmentOutcome.Done => TypedResults.Ok(EnrollmentViews.ToResponse(applied.State!)),
            EnrollmentOutcome.NotFound => Problems.NotFound("enrollment", enrollmentId),
            EnrollmentOutcome.StepNotFound => TypedResults.Problem(statusCode: StatusCodes.Status422UnprocessableEntity, title: "Unknown step",
                detail: $"This enrollment has no step '{request.StepKey}'.", extensions: new Dictionary<string, object?> { ["field"] = "stepKey" }),
            EnrollmentOutcome.Invalid => new Validation().AddRange(applied.Errors!).ToProblem(),
            _ => Conflict(applied),
        };
    }

    static async Task<Results<Ok<IReadOnlyList<OverrideResponse>>, ProblemHttpResult>> Overrides(Guid learnerId, Guid enrollmentId, HttpContext http, NpgsqlDataSource db, LearnerRecord learning, CancellationToken ct)
    {
        var entries = await learning.ListOverridesAsync(db, http.RequireActor(), learnerId, enrollmentId, ct);
        return entries is null
            ? Problems.NotFound("enrollment", enrollmentId)
            : TypedResults.Ok<IReadOnlyList<OverrideResponse>>(entries.Select(OverrideResponse.From).ToList());
    }
}
