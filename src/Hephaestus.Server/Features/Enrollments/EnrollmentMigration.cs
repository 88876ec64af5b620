using System.Text.Json;
using Hephaestus.Data;
using Hephaestus.Data.Learning;
using Hephaestus.Domain.Identity;
using Hephaestus.Domain.Paths;
using Hephaestus.Server.Api;
using Hephaestus.Server.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Hephaestus.Server.Features.Enrollments;

/// <summary>
/// Moves the learners enrolled in older versions of a path to a newer published version. Every step that still exists
/// (same step key) keeps its status and score; new steps start locked and are evaluated; steps that are gone are
/// reported; educator inserts stay. One transaction per learner, so a failure or a stop loses nothing done so far,
/// and running it again resumes with the learners still on older versions (SKIP LOCKED lets two runs share the work).
/// </summary>
public static class EnrollmentMigration
{
    public static IEndpointRouteBuilder MapEnrollmentMigration(this IEndpointRouteBuilder routes)
    {
        routes.MapPost("/api/v1/paths/{pathId:guid}/versions/{versionId:guid}/migrate-enrollments", Migrate)
            .WithTags("Enrollments").WithName("MigrateEnrollments").RequireAuthorization(AuthHosting.ProvisionedPolicy);
        return routes;
    }

    /// <summary>Migrates up to <c>limit</c> enrollments (default 100) and says how many remain; call again to continue.</summary>
    static async Task<Results<Ok<MigrationResponse>, ProblemHttpResult>> Migrate(Guid pathId, Guid versionId, HttpContext http, NpgsqlDataSource db, LearnerRecord learning, CancellationToken ct,
        MigrateEnrollmentsRequest? request = null)
    {
        var actor = http.RequireActor();
        if (!actor.Has(Role.Admin)) return Problems.Forbidden("Only admins move enrolled learners to another path version.");
        var limit = request?.Limit ?? 100;
        if (limit is < 1 or > 10_000)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status422UnprocessableEntity, title: "Invalid limit", detail: "limit must be between 1 and 10000.",
                extensions: new Dictionary<string, object?> { ["field"] = "limit" });
        }

        var target = await TargetAsync(db, actor, pathId, versionId, ct);
        if (target is null) return Problems.NotFound("path version", versionId);
        if (target.Value.Status != "published") return Problems.Conflict($"Version {target.Value.Version} is {target.Value.Status}; learners move to a published version only.");
        return TypedResults.Ok(await RunAsync(learning, db, actor, pathId, versionId, target.Value.Version, limit, ct));
    }

    static async Task<(int Version, string Status)?> TargetAsync(NpgsqlDataSource db, Actor actor, Guid pathId, Guid versionId, CancellationToken ct)
    {
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        await using var command = scope.Command("SELECT version, status FROM hephaestus.path_versions WHERE id = $1 AND path_id = $2");
        command.Parameters.Add(SqlParameters.Uuid(versionId));
        command.Parameters.Add(SqlParameters.Uuid(pathId));
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? (reader.GetInt32(0), reader.GetString(1)) : null;
    }

    /// <summary>The loop the endpoint and the CLI share.</summary>
    public static async Task<MigrationResponse> RunAsync(LearnerRecord learning, NpgsqlDataSource db, Actor actor, Guid pathId, Guid versionId, int toVersion, int limit, CancellationToken ct)
    {
        var migrated = new List<MigratedEnrollment>();
        while (migrated.Count < limit)
        {
            var one = await MigrateOneAsync(learning, db, actor, pathId, versionId, toVersion, ct);
            if (one is null) break;
            migrated.Add(one);
        }

        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        await using var count = scope.Command(Candidates("count(*)::int", ""));
        count.Parameters.Add(SqlParameters.Uuid(pathId));
        count.Parameters.Add(new NpgsqlParameter<int> { TypedValue = toVersion });
        var remaining = (int)(await count.ExecuteScalarAsync(ct))!;
        return new MigrationResponse(pathId, versionId, toVersion, migrated, remaining);
    }

    static string Candidates(string select, string tail) => $"""
        SELECT {select} FROM hephaestus.enrollments e JOIN hephaestus.path_versions v ON v.id = e.path_version_id
        WHERE e.path_id = $1 AND e.status <> 'withdrawn' AND v.version < $2 {tail}
        """;

    static async Task<MigratedEnrollment?> MigrateOneAsync(LearnerRecord learning, NpgsqlDataSource db, Actor actor, Guid pathId, Guid versionId, int toVersion, CancellationToken ct)
    {
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        Guid learnerId, enrollmentId;
        await using (var next = scope.Command(Candidates("e.learner_id, e.id", "ORDER BY e.learner_id, e.id LIMIT 1 FOR UPDATE OF e SKIP LOCKED")))
        {
            next.Parameters.Add(SqlParameters.Uuid(pathId));
            next.Parameters.Add(new NpgsqlParameter<int> { TypedValue = toVersion });
            await using var reader = await next.ExecuteReaderAsync(ct);
            if (!await reader.ReadAsync(ct)) return null;
            (learnerId, enrollmentId) = (reader.GetGuid(0), reader.GetGuid(1));
        }

        var old = (await learning.LoadEnrollmentAsync(scope, learnerId, enrollmentId, forUpdate: true, ct))!;
        var target = (await learning.Plans.GetAsync(scope, versionId, ct))!;

        var previous = old.Learner.Steps;
        // Steps match by key. An educator insert whose key the new version now uses gives way to the version's step.
        var oldSteps = old.Version.Plan;
        var kept = target.Plan.Steps.Where(s => oldSteps.Contains(s.Key) && previous.ContainsKey(s.Key)).Select(s => s.Key).ToList();
        var added = target.Plan.Steps.Where(s => !kept.Contains(s.Key)).Select(s => s.Key).ToList();
        var inserts = old.Enrollment.Inserted.Where(i => !target.Plan.Contains(i.Key)).ToList();
        var removed = old.Plan.Steps.Where(s => !target.Plan.Contains(s.Key) && !inserts.Any(i => i.Key == s.Key)).Select(s => s.Key)
            .Concat(old.Enrollment.Inserted.Where(i => target.Plan.Contains(i.Key)).Select(i => i.Key + " (educator insert)")).ToList();

        // Kept steps carry their state; new ones start locked; then the ordinary evaluation opens what should be open.
        var states = new Dictionary<string, LearnerStepState>(StringComparer.Ordinal);
        foreach (var key in kept) states[key] = previous[key];
        foreach (var insert in inserts) states[insert.Key] = old.Learner.StateOf(insert.Key);
        foreach (var key in added) states[key] = new LearnerStepState(StepStatus.Locked, null, null);
        var plan = EnrollmentSql.PlanWithInserts(target.Plan, inserts);
        var learner = new LearnerSnapshot(await EnrollmentSql.ReadMasteryAsync(scope, learnerId, ct), target.Skills, states);
        var before = plan.Steps.ToDictionary(s => s.Key, s => learner.StateOf(s.Key).Status, StringComparer.Ordinal);
        StepProgress.Evaluate(plan, learner);
        var changed = kept.Where(k => before[k] != learner.StateOf(k).Status)
            .Select(k => new StepChange(k, before[k].ToWireName(), learner.StateOf(k).Status.ToWireName(), learner.StateOf(k).Reason)).ToList();

        // Stored in the new version's step order, then the surviving inserts; notes carried over where the status stayed.
        var now = DateTimeOffset.UtcNow;
        var keys = target.Plan.Steps.Select(s => s.Key).Concat(inserts.Select(i => i.Key)).ToList();
        var status = keys.Select(k => (short)learner.StateOf(k).Status).ToArray();
        var scores = keys.Select(k => learner.StateOf(k).Score is { } v ? (float?)v : null).ToArray();
        var notes = new Dictionary<string, StepNote>(StringComparer.Ordinal);
        foreach (var key in keys)
        {
            var state = learner.StateOf(key);
            if (old.Enrollment.Notes?.GetValueOrDefault(key) is { } note && !added.Contains(key) && before[key] == state.Status) notes[key] = note;
            else if (state.Status != StepStatus.Locked) notes[key] = new StepNote(state.Reason, now);
        }

        var allDone = StepProgress.AllDone(plan, learner);
        var report = new MigratedEnrollment(learnerId, enrollmentId, old.Version.Version, toVersion, kept, added, removed, changed);

        // The version, the progress arrays, the notes and the surviving inserts change in one statement, with the audit row.
        await EnrollmentSql.ExecuteAsync(scope,
        [
            new NpgsqlBatchCommand("""
                UPDATE hephaestus.enrollments
                SET path_version_id = $3, step_status = $5, step_scores = $6, step_notes = $7::jsonb, inserted_steps = $8::jsonb, updated_at = now(),
                    status = CASE WHEN $4 THEN 'completed' ELSE 'active' END,
                    completed_at = CASE WHEN $4 THEN coalesce(completed_at, now()) END
                WHERE learner_id = $1 AND id = $2
                """)
            {
                Parameters =
                {
                    SqlParameters.Uuid(learnerId), SqlParameters.Uuid(enrollmentId), SqlParameters.Uuid(versionId), new NpgsqlParameter<bool> { TypedValue = allDone },
                    new NpgsqlParameter<short[]> { TypedValue = status }, EnrollmentSql.Scores(scores),
                    new NpgsqlParameter<string> { TypedValue = EnrollmentSql.ToJson(notes) }, new NpgsqlParameter<string> { TypedValue = EnrollmentSql.ToJson(inserts) },
                },
            },
            EnrollmentSql.Audit(learnerId, enrollmentId, "migrate", null, JsonSerializer.Serialize(report, JsonSerializerOptions.Web),
                $"moved from version {old.Version.Version} to version {toVersion}", scope.Actor.UserId),
        ], ct);
        await scope.CommitAsync(ct);
        return report;
    }
}
