using Hephaestus.Data.Learning;
using Hephaestus.Domain.Paths;
using Hephaestus.Server.Api;
using Hephaestus.Server.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Hephaestus.Server.Features.Enrollments;

/// <summary>
/// A learner's enrollments in learning paths and their progress: enroll (once per path, with placement), read, the next
/// best steps, start and complete steps, and educators' overrides (audited). Row-level security decides who sees what:
/// the learner, educators of the learner's cohorts, admins; an enrollment someone may not see is a 404.
/// </summary>
public static class EnrollmentsApi
{
    public static IEndpointRouteBuilder MapEnrollments(this IEndpointRouteBuilder routes)
    {
        var learner = routes.MapGroup("/api/v1/learners/{learnerId:guid}/enrollments").WithTags("Enrollments").RequireAuthorization(Policies.Provisioned);
        learner.MapPost("/", Enroll).WithName("Enroll").LimitRowWrites();
        learner.MapGet("/", List).WithName("ListEnrollments");
        learner.MapGet("/{enrollmentId:guid}", Get).WithName("GetEnrollment");
        learner.MapGet("/{enrollmentId:guid}/next", Next).WithName("NextSteps");
        learner.MapPost("/{enrollmentId:guid}/steps/{stepKey}/start", Start).WithName("StartStep").LimitRowWrites();
        learner.MapPost("/{enrollmentId:guid}/steps/{stepKey}/complete", Complete).WithName("CompleteStep").LimitRowWrites();
        learner.MapPost("/{enrollmentId:guid}/overrides", Override).WithName("OverrideEnrollment").RequireAuthorization(Policies.EducatorOrAdmin).LimitRowWrites();
        learner.MapGet("/{enrollmentId:guid}/overrides", Overrides).WithName("ListEnrollmentOverrides");
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
        return state is null ? Problems.NotFound("enrollment", enrollmentId) : TypedResults.Ok(EnrollmentViews.ToResponse(state));
    }

    /// <summary>
    /// The available (and started) steps, best first, each with the reasons for its place; then the locked steps with
    /// the conditions that hold them. One round trip to the database; ranking is done in memory on the cached plan.
    /// </summary>
    static async Task<Results<Ok<NextResponse>, ProblemHttpResult>> Next(Guid learnerId, Guid enrollmentId, HttpContext http, NpgsqlDataSource db, LearnerRecord learning, CancellationToken ct,
        int? limit = null, int? lockedLimit = null)
    {
        var v = new Validation();
        if (limit is < 1 or > 200) v.Add("limit", "must be between 1 and 200");
        if (lockedLimit is < 0 or > 200) v.Add("lockedLimit", "must be between 0 and 200");
        if (!v.IsValid) return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid query", detail: "limit must be 1..200 and lockedLimit 0..200.");

        var state = await learning.ReadEnrollmentOnceAsync(db, http.RequireActor(), learnerId, enrollmentId, withNotes: false, ct);
        if (state is null) return Problems.NotFound("enrollment", enrollmentId);
        var next = StepProgress.Rank(state.Plan, state.Learner, lockedLimit ?? 20);
        return TypedResults.Ok(new NextResponse(enrollmentId, next.Done, next.Total,
            [.. next.Available.Take(limit ?? 10).Select(s => new NextStepResponse(s.Step.Key, s.Step.Kind.ToWireName(), s.Step.RefId, s.Step.Title, s.Status.ToWireName(), s.Reasons))],
            [.. next.Locked.Select(s => new LockedStepResponse(s.Step.Key, s.Step.Kind.ToWireName(), s.Step.Title, s.Conditions))],
            next.LockedTotal));
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
