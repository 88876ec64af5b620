using System.Text.Json;
using Hephaestus.Data;
using Hephaestus.Data.Learning;
using Hephaestus.Domain.Identity;
using Hephaestus.Domain.Paths;
using Hephaestus.Server.Api;
using Hephaestus.Server.Auth;
using Hephaestus.Server.Features.Mastery;
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
        var learner = routes.MapGroup("/api/v1/learners/{learnerId:guid}/enrollments").WithTags("Enrollments").RequireAuthorization(AuthHosting.ProvisionedPolicy);
        learner.MapPost("/", Enroll).WithName("Enroll");
        learner.MapGet("/", List).WithName("ListEnrollments");
        learner.MapGet("/{enrollmentId:guid}", Get).WithName("GetEnrollment");
        learner.MapGet("/{enrollmentId:guid}/next", Next).WithName("NextSteps");
        learner.MapPost("/{enrollmentId:guid}/steps/{stepKey}/start", Start).WithName("StartStep");
        learner.MapPost("/{enrollmentId:guid}/steps/{stepKey}/complete", Complete).WithName("CompleteStep");
        learner.MapPost("/{enrollmentId:guid}/overrides", Override).WithName("OverrideEnrollment");
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
        var actor = http.RequireActor();
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        if (!await MasteryApi.LearnerVisibleAsync(scope, learnerId, ct)) return Problems.NotFound("learner", learnerId);
        if (actor.UserId != learnerId && !actor.Has(Role.Educator) && !actor.Has(Role.Admin))
        {
            return Problems.Forbidden("Only the learner, an educator of the learner's cohort or an admin enrolls a learner.");
        }

        // The database re-checks at insert, with a lock, that the version is still published (a retirement may be racing).
        Guid? versionId;
        await using (var find = scope.Command("""
            SELECT p.id, (SELECT v.id FROM hephaestus.path_versions v WHERE v.path_id = p.id AND v.status = 'published' ORDER BY v.version DESC LIMIT 1)
            FROM hephaestus.learning_paths p WHERE p.id = $1
            """))
        {
            find.Parameters.Add(SqlParameters.Uuid(request.PathId));
            await using var reader = await find.ExecuteReaderAsync(ct);
            if (!await reader.ReadAsync(ct))
            {
                return TypedResults.Problem(statusCode: StatusCodes.Status422UnprocessableEntity, title: "Unknown learning path",
                    detail: $"No learning path with id {request.PathId} exists.", extensions: new Dictionary<string, object?> { ["field"] = "pathId" });
            }

            versionId = reader.IsDBNull(1) ? null : reader.GetGuid(1);
        }

        if (versionId is null) return Problems.Conflict($"Learning path {request.PathId} has no published version open to enrollment.");

        // Placement and the first evaluation happen before the insert, so the enrollment is written once, complete.
        var version = (await learning.Plans.GetAsync(scope, versionId.Value, ct))!;
        var learner = new LearnerSnapshot(await EnrollmentSql.ReadMasteryAsync(scope, learnerId, ct), version.Skills, new Dictionary<string, LearnerStepState>(StringComparer.Ordinal));
        StepProgress.Place(version.Plan, learner);
        StepProgress.Evaluate(version.Plan, learner);
        var now = DateTimeOffset.UtcNow;
        var status = version.Plan.Steps.Select(s => (short)learner.StateOf(s.Key).Status).ToArray();
        var notes = version.Plan.Steps.Where(s => learner.StateOf(s.Key).Status != StepStatus.Locked)
            .ToDictionary(s => s.Key, s => new StepNote(learner.StateOf(s.Key).Reason, now), StringComparer.Ordinal);
        var allDone = StepProgress.AllDone(version.Plan, learner);

        var enrollmentId = Guid.CreateVersion7();
        await using (var insert = scope.Command("""
            INSERT INTO hephaestus.enrollments (learner_id, id, path_id, path_version_id, step_status, step_scores, step_notes, status, completed_at)
            VALUES ($1, $2, $3, $4, $5, array_fill(NULL::real, ARRAY[cardinality($5)]), $6::jsonb,
                    CASE WHEN $7 THEN 'completed' ELSE 'active' END, CASE WHEN $7 THEN now() END)
            ON CONFLICT (learner_id, path_id) DO NOTHING
            RETURNING id
            """))
        {
            insert.Parameters.Add(SqlParameters.Uuid(learnerId));
            insert.Parameters.Add(SqlParameters.Uuid(enrollmentId));
            insert.Parameters.Add(SqlParameters.Uuid(request.PathId));
            insert.Parameters.Add(SqlParameters.Uuid(versionId.Value));
            insert.Parameters.Add(new NpgsqlParameter<short[]> { TypedValue = status });
            insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = EnrollmentSql.ToJson(notes) });
            insert.Parameters.Add(new NpgsqlParameter<bool> { TypedValue = allDone });
            if (await insert.ExecuteScalarAsync(ct) is null)
            {
                // Already enrolled (perhaps by a concurrent request that committed first): the same answer, not a second enrollment.
                var existing = await ExistingAsync(learning, scope, learnerId, request.PathId, ct);
                await scope.CommitAsync(ct);
                return TypedResults.Ok(EnrollmentViews.ToResponse(existing!));
            }
        }

        var created = await learning.LoadEnrollmentAsync(scope, learnerId, enrollmentId, forUpdate: false, ct);
        await scope.CommitAsync(ct);
        return TypedResults.Created($"/api/v1/learners/{learnerId}/enrollments/{enrollmentId}", EnrollmentViews.ToResponse(created!));
    }

    static async Task<EnrollmentState?> ExistingAsync(LearnerRecord learning, ActorScope scope, Guid learnerId, Guid pathId, CancellationToken ct)
    {
        await using var find = scope.Command("SELECT id FROM hephaestus.enrollments WHERE learner_id = $1 AND path_id = $2");
        find.Parameters.Add(SqlParameters.Uuid(learnerId));
        find.Parameters.Add(SqlParameters.Uuid(pathId));
        return await find.ExecuteScalarAsync(ct) is Guid id ? await learning.LoadEnrollmentAsync(scope, learnerId, id, forUpdate: false, ct) : null;
    }

    static async Task<Results<Ok<IReadOnlyList<EnrollmentResponse>>, ProblemHttpResult>> List(Guid learnerId, HttpContext http, NpgsqlDataSource db, LearnerRecord learning, CancellationToken ct)
    {
        await using var scope = await ActorScope.BeginAsync(db, http.RequireActor(), ct);
        if (!await MasteryApi.LearnerVisibleAsync(scope, learnerId, ct)) return Problems.NotFound("learner", learnerId);
        var items = (await learning.LoadEnrollmentsAsync(scope, learnerId, ct)).Select(EnrollmentViews.ToResponse).ToList();
        await scope.CommitAsync(ct);
        return TypedResults.Ok<IReadOnlyList<EnrollmentResponse>>(items);
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
    static async Task<Results<Ok<EnrollmentResponse>, ProblemHttpResult>> Start(Guid learnerId, Guid enrollmentId, string stepKey, HttpContext http, NpgsqlDataSource db, LearnerRecord learning, CancellationToken ct)
    {
        await using var scope = await ActorScope.BeginAsync(db, http.RequireActor(), ct);
        var state = await learning.LoadEnrollmentAsync(scope, learnerId, enrollmentId, forUpdate: true, ct);
        if (state is null) return Problems.NotFound("enrollment", enrollmentId);
        if (!state.Plan.Contains(stepKey)) return Problems.NotFound($"step '{stepKey}' in enrollment", enrollmentId);
        var current = state.Learner.StateOf(stepKey);
        if (current.Status == StepStatus.InProgress) return TypedResults.Ok(EnrollmentViews.ToResponse(state));
        if (current.Status != StepStatus.Available)
        {
            return Problems.Conflict($"Step '{stepKey}' is {current.Status.ToWireName()}; only an available step can be started." +
                (current.Reason is { } r ? $" ({r})" : ""), new Dictionary<string, object?> { ["stepStatus"] = current.Status.ToWireName() });
        }

        await EnrollmentSql.ExecuteAsync(scope, [EnrollmentSql.WriteStep(state, stepKey, current with { Status = StepStatus.InProgress, Reason = "started" })], ct);
        var updated = await learning.LoadEnrollmentAsync(scope, learnerId, enrollmentId, forUpdate: false, ct);
        await scope.CommitAsync(ct);
        return TypedResults.Ok(EnrollmentViews.ToResponse(updated!));
    }

    /// <summary>
    /// Completes a content step the learner has worked through. Skill steps complete by mastery and assessment steps by a
    /// submitted attempt, so those are refused here. Dependents unlock in the same transaction.
    /// </summary>
    static async Task<Results<Ok<EnrollmentResponse>, ProblemHttpResult>> Complete(Guid learnerId, Guid enrollmentId, string stepKey, HttpContext http, NpgsqlDataSource db, LearnerRecord learning, CancellationToken ct)
    {
        await using var scope = await ActorScope.BeginAsync(db, http.RequireActor(), ct);
        var state = await learning.LoadEnrollmentAsync(scope, learnerId, enrollmentId, forUpdate: true, ct);
        if (state is null) return Problems.NotFound("enrollment", enrollmentId);
        if (!state.Plan.Contains(stepKey)) return Problems.NotFound($"step '{stepKey}' in enrollment", enrollmentId);
        var step = state.Plan[stepKey];
        var current = state.Learner.StateOf(stepKey);
        if (current.Status == StepStatus.Completed) return TypedResults.Ok(EnrollmentViews.ToResponse(state));
        if (step.Kind != StepKind.Content)
        {
            return Problems.Conflict(step.Kind == StepKind.Skill
                ? $"Step '{stepKey}' completes when its skill is mastered, not by request."
                : $"Step '{stepKey}' completes when its assessment is submitted, not by request.");
        }

        if (current.Status is not (StepStatus.Available or StepStatus.InProgress))
        {
            return Problems.Conflict($"Step '{stepKey}' is {current.Status.ToWireName()}; only an available or started step can be completed." +
                (current.Reason is { } r ? $" ({r})" : ""), new Dictionary<string, object?> { ["stepStatus"] = current.Status.ToWireName() });
        }

        await EnrollmentSql.ExecuteAsync(scope, [EnrollmentSql.WriteStep(state, stepKey, current with { Status = StepStatus.Completed, Reason = "completed" })], ct);
        await learning.ReevaluateProgressAsync(scope, learnerId, ct);
        var updated = await learning.LoadEnrollmentAsync(scope, learnerId, enrollmentId, forUpdate: false, ct);
        await scope.CommitAsync(ct);
        return TypedResults.Ok(EnrollmentViews.ToResponse(updated!));
    }

    static async Task<Results<Ok<EnrollmentResponse>, ValidationProblem, ProblemHttpResult>> Override(
        Guid learnerId, Guid enrollmentId, OverrideRequest request, HttpContext http, NpgsqlDataSource db, LearnerRecord learning, CancellationToken ct)
    {
        var actor = http.RequireActor();
        var v = EnrollmentOverrides.Shape(request);
        if (!v.IsValid) return v.ToProblem();

        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        var state = await learning.LoadEnrollmentAsync(scope, learnerId, enrollmentId, forUpdate: true, ct);
        if (state is null) return Problems.NotFound("enrollment", enrollmentId);
        if (!actor.Has(Role.Educator) && !actor.Has(Role.Admin)) return Problems.Forbidden("Only educators of the learner's cohort and admins override a learning path.");

        if (await EnrollmentOverrides.ApplyAsync(scope, state, request, ct) is { } refused)
        {
            return refused.Invalid is { } invalid ? invalid : refused.Problem!;
        }

        await learning.ReevaluateProgressAsync(scope, learnerId, ct);
        var updated = await learning.LoadEnrollmentAsync(scope, learnerId, enrollmentId, forUpdate: false, ct);
        await scope.CommitAsync(ct);
        return TypedResults.Ok(EnrollmentViews.ToResponse(updated!));
    }

    static async Task<Results<Ok<IReadOnlyList<OverrideResponse>>, ProblemHttpResult>> Overrides(Guid learnerId, Guid enrollmentId, HttpContext http, NpgsqlDataSource db, LearnerRecord learning, CancellationToken ct)
    {
        await using var scope = await ActorScope.BeginAsync(db, http.RequireActor(), ct);
        var state = await learning.LoadEnrollmentAsync(scope, learnerId, enrollmentId, forUpdate: false, ct);
        if (state is null) return Problems.NotFound("enrollment", enrollmentId);
        var items = new List<OverrideResponse>();
        await using (var command = scope.Command("""
            SELECT id, kind, step_key, payload::text, reason, actor_id, created_at
            FROM hephaestus.enrollment_overrides WHERE learner_id = $1 AND enrollment_id = $2 ORDER BY created_at, id
            """))
        {
            command.Parameters.Add(SqlParameters.Uuid(learnerId));
            command.Parameters.Add(SqlParameters.Uuid(enrollmentId));
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                using var payload = JsonDocument.Parse(reader.GetString(3));
                items.Add(new OverrideResponse(reader.GetGuid(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), payload.RootElement.Clone(),
                    reader.GetString(4), reader.GetGuid(5), reader.GetFieldValue<DateTimeOffset>(6)));
            }
        }

        await scope.CommitAsync(ct);
        return TypedResults.Ok<IReadOnlyList<OverrideResponse>>(items);
    }
}
