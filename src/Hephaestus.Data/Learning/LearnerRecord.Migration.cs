using System.Text.Json;
using Hephaestus.Domain.Paths;
using Npgsql;

namespace Hephaestus.Data.Learning;

/// <summary>A kept step whose status the move changed (statuses by their wire names, as the audit records them).</summary>
public sealed record StepChange(string Key, string From, string To, string? Reason);

/// <summary>One learner moved: what was kept, added and removed, and which kept steps changed status.</summary>
public sealed record MigratedEnrollment(
    Guid LearnerId,
    Guid EnrollmentId,
    int FromVersion,
    int ToVersion,
    IReadOnlyList<string> Kept,
    IReadOnlyList<string> Added,
    IReadOnlyList<string> Removed,
    IReadOnlyList<StepChange> Changed);

/// <summary>The learners one run moved to a version, and how many still wait.</summary>
public sealed record MigrationBatch(Guid PathId, Guid ToVersionId, int ToVersion, IReadOnlyList<MigratedEnrollment> Migrated, int Remaining);

/// <summary>How a migration run ended: it ran (Done), or the version is not one of the path's (NotFound) or not published (NotPublished).</summary>
public enum MigrationOutcome
{
    Done,
    NotFound,
    NotPublished,
}

/// <param name="Refusal">Why learners cannot move to the version (NotPublished).</param>
public sealed record MigrationRun(MigrationOutcome Outcome, MigrationBatch? Batch = null, string? Refusal = null);

/// <summary>
/// Moves the learners enrolled in older versions of a path to a newer published version. Every step that still exists
/// (same step key) keeps its status and score; new steps start locked and are evaluated; steps that are gone are
/// reported; educator inserts stay. One transaction per learner, so a failure or a stop loses nothing done so far,
/// and running it again resumes with the learners still on older versions (SKIP LOCKED lets two runs share the work).
/// The HTTP endpoint and `hephaestus paths migrate-enrollments` both run <see cref="MigrateEnrollmentsAsync"/>.
/// </summary>
public sealed partial class LearnerRecord
{
    const string TargetVersion = "SELECT version, status FROM hephaestus.path_versions WHERE id = $1 AND path_id = $2";

    const string PublishedVersionOfPath = """
        SELECT p.id, v.id, v.version
        FROM hephaestus.learning_paths p JOIN hephaestus.path_versions v ON v.path_id = p.id
        WHERE (p.id::text = $1 OR p.code = $1) AND v.status = 'published' AND ($2::int IS NULL OR v.version = $2)
        ORDER BY v.version DESC LIMIT 1
        """;

    const string MoveEnrollment = """
        UPDATE hephaestus.enrollments
        SET path_version_id = $3, step_status = $5, step_scores = $6, step_notes = $7::jsonb, inserted_steps = $8::jsonb, updated_at = now(),
            status = CASE WHEN $4 THEN 'completed' ELSE 'active' END,
            completed_at = CASE WHEN $4 THEN coalesce(completed_at, now()) END
        WHERE learner_id = $1 AND id = $2
        """;

    static string Candidates(string select, string tail) => $"""
        SELECT {select} FROM hephaestus.enrollments e JOIN hephaestus.path_versions v ON v.id = e.path_version_id
        WHERE e.path_id = $1 AND e.status <> 'withdrawn' AND v.version < $2 {tail}
        """;

    /// <summary>
    /// The newest published version of a path named by id or code (or the given version number), for the command line,
    /// which connects as the owner and has no actor; null when there is none.
    /// </summary>
    public static async Task<(Guid PathId, Guid VersionId, int Version)?> FindPublishedVersionAsync(NpgsqlDataSource owner, string path, int? version, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(owner);
        await using var command = owner.CreateCommand(PublishedVersionOfPath);
        command.Parameters.Add(SqlParameters.Text(path));
        command.Parameters.Add(SqlParameters.NullableInt(version));
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? (reader.GetGuid(0), reader.GetGuid(1), reader.GetInt32(2)) : null;
    }

    /// <summary>Migrates up to <paramref name="limit"/> enrollments to a published version of the path and says how many remain.</summary>
    public async Task<MigrationRun> MigrateEnrollmentsAsync(NpgsqlDataSource db, Actor actor, Guid pathId, Guid versionId, int limit, CancellationToken ct)
    {
        int toVersion;
        string status;
        await using (var scope = await ActorScope.BeginAsync(db, actor, ct))
        {
            await using var command = scope.Command(TargetVersion);
            command.Parameters.Add(SqlParameters.Uuid(versionId));
            command.Parameters.Add(SqlParameters.Uuid(pathId));
            await using var reader = await command.ExecuteReaderAsync(ct);
            if (!await reader.ReadAsync(ct)) return new MigrationRun(MigrationOutcome.NotFound);
            (toVersion, status) = (reader.GetInt32(0), reader.GetString(1));
        }

        if (status != "published")
        {
            return new MigrationRun(MigrationOutcome.NotPublished, Refusal: $"Version {toVersion} is {status}; learners move to a published version only.");
        }

        var migrated = new List<MigratedEnrollment>();
        while (migrated.Count < limit)
        {
            var one = await MigrateOneAsync(db, actor, pathId, versionId, toVersion, ct);
            if (one is null) break;
            migrated.Add(one);
        }

        await using var counting = await ActorScope.BeginAsync(db, actor, ct);
        await using var count = counting.Command(Candidates("count(*)::int", ""));
        count.Parameters.Add(SqlParameters.Uuid(pathId));
        count.Parameters.Add(SqlParameters.Int(toVersion));
        var remaining = (int)(await count.ExecuteScalarAsync(ct))!;
        return new MigrationRun(MigrationOutcome.Done, new MigrationBatch(pathId, versionId, toVersion, migrated, remaining));
    }

    async Task<MigratedEnrollment?> MigrateOneAsync(NpgsqlDataSource db, Actor actor, Guid pathId, Guid versionId, int toVersion, CancellationToken ct)
    {
        await using var scope = await ActorScope.BeginLearnerRecordAsync(db, actor, ct);
        Guid learnerId, enrollmentId;
        await using (var next = scope.Command(Candidates("e.learner_id, e.id", "ORDER BY e.learner_id, e.id LIMIT 1 FOR UPDATE OF e SKIP LOCKED")))
        {
            next.Parameters.Add(SqlParameters.Uuid(pathId));
            next.Parameters.Add(SqlParameters.Int(toVersion));
            await using var reader = await next.ExecuteReaderAsync(ct);
            if (!await reader.ReadAsync(ct)) return null;
            (learnerId, enrollmentId) = (reader.GetGuid(0), reader.GetGuid(1));
        }

        var old = (await LoadEnrollmentAsync(scope, learnerId, enrollmentId, forUpdate: true, ct))!;
        var target = (await plans.GetAsync(scope, versionId, ct))!;

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
        var learner = new LearnerSnapshot(await EnrollmentSql.ReadMasteryAsync(scope, learnerId, ct), target.Skills, states, old.Enrollment.Unlocked);
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
        await scope.ExecuteAsync(
        [
            new NpgsqlBatchCommand(MoveEnrollment)
            {
                Parameters =
                {
                    SqlParameters.Uuid(learnerId), SqlParameters.Uuid(enrollmentId), SqlParameters.Uuid(versionId), SqlParameters.Bool(allDone),
                    new NpgsqlParameter<short[]> { TypedValue = status }, EnrollmentSql.Scores(scores),
                    new NpgsqlParameter<string> { TypedValue = EnrollmentSql.ToJson(notes) }, new NpgsqlParameter<string> { TypedValue = EnrollmentSql.ToJson(inserts) },
                },
            },
            EnrollmentSql.Audit(learnerId, enrollmentId, OverrideKind.Migrate, null, JsonSerializer.Serialize(report, JsonSerializerOptions.Web),
                $"moved from version {old.Version.Version} to version {toVersion}", scope.Actor),
        ], ct);
        await scope.CommitAsync(ct);
        return report;
    }
}
