using Hephaestus.Data.Learning;
using Npgsql;
using static Hephaestus.Data.SqlParameters;

namespace Hephaestus.Data.Assessments;

public enum RegradeOutcome
{
    Regraded,
    ItemNotFound,

    /// <summary>The item has no version to regrade from.</summary>
    NoSuchVersion,

    /// <summary>The version to regrade from is not older than the item's current version.</summary>
    NotOlder,
}

/// <summary>What a regrade did: the version it scored with, how many learners and attempts it regraded.</summary>
public sealed record Regrade(RegradeOutcome Outcome, int ToVersion = 0, int Learners = 0, int Attempts = 0);

/// <summary>
/// After an item's key is fixed (a new version), every submitted attempt that answered the old version is scored
/// again with the new one: a new result revision (the old one stays), new evidence, and mastery replayed from the log
/// without the superseded observations. One transaction per learner, so a failure part-way leaves whole learners done
/// and a rerun finishes the rest (attempts already at a revision that used the new version are skipped).
/// </summary>
public static class Regrading
{
    public static async Task<Regrade> RegradeItemAsync(NpgsqlDataSource db, LearnerRecord learning, Actor actor, Guid itemId, int fromVersion, CancellationToken ct)
    {
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
                versions.Parameters.Add(Uuid(itemId));
                versions.Parameters.Add(Int(fromVersion));
                await using var reader = await versions.ExecuteReaderAsync(ct);
                if (!await reader.ReadAsync(ct)) return new Regrade(RegradeOutcome.ItemNotFound);
                if (reader.IsDBNull(0)) return new Regrade(RegradeOutcome.NoSuchVersion);
                (oldVersionId, newVersionId, toVersion) = (reader.GetGuid(0), reader.GetGuid(1), reader.GetInt32(2));
            }

            if (toVersion <= fromVersion) return new Regrade(RegradeOutcome.NotOlder);
            await using var affected = scope.Command("SELECT DISTINCT learner_id FROM hephaestus.attempts WHERE status = 'submitted' AND $1 = ANY (item_version_ids)");
            affected.Parameters.Add(Uuid(oldVersionId));
            await using var learnerReader = await affected.ExecuteReaderAsync(ct);
            while (await learnerReader.ReadAsync(ct)) learners.Add(learnerReader.GetGuid(0));
        }

        var attempts = 0;
        foreach (var learner in learners)
        {
            attempts += await TransientRetry.RunAsync(c => RegradeLearnerAsync(learning, db, actor, learner, oldVersionId, newVersionId, c), ct);
        }

        return new Regrade(RegradeOutcome.Regraded, toVersion, learners.Count, attempts);
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
            find.Parameters.Add(Uuid(learner));
            find.Parameters.Add(Uuid(oldVersionId));
            find.Parameters.Add(Uuid(newVersionId));
            await using var reader = await find.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) ids.Add(reader.GetGuid(0));
        }

        foreach (var attemptId in ids)
        {
            var attempt = (await AttemptStore.ReadAttemptAsync(scope, learner, attemptId, forUpdate: true, ct))!;
            var order = attempt.ItemVersionIds.Select(id => id == oldVersionId ? newVersionId : id).ToList();
            var items = await ItemStore.ReadItemVersionsAsync(scope, order, ct);
            var responses = await AttemptStore.ReadResponsesAsync(scope, learner, attemptId, attempt.DeadlineAt, ct);
            if (responses.Remove(oldVersionId, out var answer)) responses[newVersionId] = answer;
            var scored = Grading.Score(order, items, responses);
            int revision;
            await using (var latest = scope.Command("SELECT max(revision) FROM hephaestus.results WHERE learner_id = $1 AND attempt_id = $2"))
            {
                latest.Parameters.Add(Uuid(learner));
                latest.Parameters.Add(Uuid(attemptId));
                revision = (int)(await latest.ExecuteScalarAsync(ct))! + 1;
            }

            // The pass score of the version the attempt took, not the assessment's current one.
            var settings = await AssessmentStore.ReadVersionSettingsAsync(scope, attempt.AssessmentId, attempt.AssessmentVersion, ct);
            var result = Grading.Summarize(attempt, scored, settings, revision, Guid.CreateVersion7());
            await Grading.RecordAsync(learning, scope, attempt, result, scored, "regraded", attempt.SubmittedAt!.Value, ct);
        }

        await scope.CommitAsync(ct);
        return ids.Count;
    }
}
