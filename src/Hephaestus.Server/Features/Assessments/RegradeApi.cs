using Hephaestus.Data;
using Hephaestus.Data.Learning;
using Hephaestus.Domain.Identity;
using Hephaestus.Server.Api;
using Hephaestus.Server.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Hephaestus.Server.Features.Assessments;

public sealed record RegradeRequest(int FromVersion);
public sealed record RegradeResponse(Guid ItemId, int FromVersion, int ToVersion, int Learners, int Attempts);

/// <summary>
/// After an item's key is fixed (a new version), every submitted attempt that answered the old version is scored
/// again with the new one: a new result revision (the old one stays), new evidence, and mastery replayed from the log
/// without the superseded observations. One transaction per learner, so a failure part-way leaves whole learners done
/// and a rerun finishes the rest (attempts already at a revision that used the new version are skipped).
/// </summary>
public static class RegradeApi
{
    public static IEndpointRouteBuilder MapRegrade(this IEndpointRouteBuilder routes)
    {
        routes.MapPost("/api/v1/items/{itemId:guid}/regrade", Regrade).WithTags("Item bank").WithName("RegradeItem")
            .RequireAuthorization(AuthHosting.ProvisionedPolicy);
        return routes;
    }

    static async Task<Results<Ok<RegradeResponse>, ValidationProblem, ProblemHttpResult>> Regrade(
        Guid itemId, RegradeRequest request, HttpContext http, NpgsqlDataSource db, LearnerRecord learning, CancellationToken ct)
    {
        var actor = http.RequireActor();
        if (!actor.Has(Role.Admin)) return Problems.Forbidden("Only an admin regrades learners' results.");
        Guid oldVersionId, newVersionId;
        int toVersion;
        var learners = new List<Guid>();
        await using (var scope = await ActorScope.BeginAsync(db, actor, ct))
        {
            await using (var versions = scope.Command("""
                SELECT (SELECT id FROM hephaestus.item_versions WHERE item_id = i.id AND version = $2), v.id, v.version
                FROM hephaestus.items i JOIN hephaestus.item_versions v ON v.item_id = i.id AND v.version = i.current_version
                WHERE i.id = $1
                """))
            {
                versions.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = itemId });
                versions.Parameters.Add(new NpgsqlParameter<int> { TypedValue = request.FromVersion });
                await using var reader = await versions.ExecuteReaderAsync(ct);
                if (!await reader.ReadAsync(ct)) return Problems.NotFound("item", itemId);
                if (reader.IsDBNull(0)) return new Validation().Add("fromVersion", $"the item has no version {request.FromVersion}").ToProblem();
                (oldVersionId, newVersionId, toVersion) = (reader.GetGuid(0), reader.GetGuid(1), reader.GetInt32(2));
            }

            if (toVersion <= request.FromVersion) return new Validation().Add("fromVersion", "must be older than the item's current version").ToProblem();
            await using var affected = scope.Command("SELECT DISTINCT learner_id FROM hephaestus.attempts WHERE status = 'submitted' AND $1 = ANY (item_version_ids)");
            affected.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = oldVersionId });
            await using var learnerReader = await affected.ExecuteReaderAsync(ct);
            while (await learnerReader.ReadAsync(ct)) learners.Add(learnerReader.GetGuid(0));
        }

        var attempts = 0;
        foreach (var learner in learners)
        {
            attempts += await TransientRetry.RunAsync(c => RegradeLearnerAsync(learning, db, actor, learner, oldVersionId, newVersionId, c), ct);
        }

        return TypedResults.Ok(new RegradeResponse(itemId, request.FromVersion, toVersion, learners.Count, attempts));
    }

    static async Task<int> RegradeLearnerAsync(LearnerRecord learning, NpgsqlDataSource db, Actor actor, Guid learner, Guid oldVersionId, Guid newVersionId, CancellationToken ct)
    {
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        var ids = new List<Guid>();
        await using (var find = scope.Command("""
            SELECT a.id FROM hephaestus.attempts a
            WHERE a.learner_id = $1 AND a.status = 'submitted' AND $2 = ANY (a.item_version_ids)
              AND NOT EXISTS (SELECT 1 FROM hephaestus.results r, jsonb_array_elements(r.item_scores) s
                              WHERE r.learner_id = a.learner_id AND r.attempt_id = a.id AND (s ->> 'itemVersionId')::uuid = $3)
            ORDER BY a.id
            """))
        {
            find.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = learner });
            find.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = oldVersionId });
            find.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = newVersionId });
            await using var reader = await find.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) ids.Add(reader.GetGuid(0));
        }

        foreach (var attemptId in ids)
        {
            var attempt = (await AttemptSql.ReadAttemptAsync(scope, learner, attemptId, forUpdate: true, ct))!;
            var order = attempt.ItemVersionIds.Select(id => id == oldVersionId ? newVersionId : id).ToList();
            var items = await AttemptSql.ReadItemVersionsAsync(scope, order, ct);
            var responses = await AttemptSql.ReadResponsesAsync(scope, learner, attemptId, attempt.DeadlineAt, ct);
            if (responses.Remove(oldVersionId, out var answer)) responses[newVersionId] = answer;
            var scored = AttemptSql.Score(order, items, responses);
            int revision;
            await using (var latest = scope.Command("SELECT max(revision) FROM hephaestus.results WHERE learner_id = $1 AND attempt_id = $2"))
            {
                latest.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = learner });
                latest.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = attemptId });
                revision = (int)(await latest.ExecuteScalarAsync(ct))! + 1;
            }

            var assessment = (await AssessmentsApi.ReadAsync(scope, attempt.AssessmentId, ct))!;
            await Grading.WriteResultAsync(learning, scope, attempt, scored, assessment.Settings, revision, "regraded", attempt.SubmittedAt!.Value, ct);
        }

        await scope.CommitAsync(ct);
        return ids.Count;
    }
}
